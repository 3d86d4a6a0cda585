package intel

import (
	"context"
	"fmt"
	"time"

	"github.com/ctemhq/ctem/internal/store"
)

// MaxAge is how old a feed's data may be before Status calls it stale:
// EPSS publishes daily (3 days), KEV most weekdays and NVD all the time
// (14 days).
func MaxAge(feed string) time.Duration {
	if feed == store.FeedEPSS {
		return 3 * 24 * time.Hour
	}
	return 14 * 24 * time.Hour
}

// FeedReport is one line of `ctem feeds status`.
type FeedReport struct {
	store.FeedStatus
	// DataAge is how old the loaded data is (now − AsOf); CheckAge how long
	// ago a sync or load last succeeded. Zero when there is none.
	DataAge  time.Duration
	CheckAge time.Duration
	Stale    bool
	// Note says what to do, when anything: load the feed, or why the last
	// sync failed.
	Note string
}

// Status reports what is loaded of each feed and how old it is.
func Status(ctx context.Context, st store.IntelStore, now time.Time) ([]FeedReport, error) {
	sts, err := st.FeedStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]FeedReport, 0, len(sts))
	for _, s := range sts {
		r := FeedReport{FeedStatus: s}
		if !s.AsOf.IsZero() {
			r.DataAge = max(now.Sub(s.AsOf), 0)
		}
		if s.LastSuccess != nil {
			r.CheckAge = max(now.Sub(s.LastSuccess.FetchedAt), 0)
		}
		switch {
		case s.Rows == 0:
			r.Stale = true
			r.Note = "not loaded: run `ctem feeds sync` (online) or `ctem feeds load DIR`"
			if s.Feed == store.FeedNVD {
				r.Note = "not loaded: run `ctem feeds sync --feed nvd` (online) or `ctem feeds load DIR`"
			}
		case r.DataAge > MaxAge(s.Feed):
			r.Stale = true
			r.Note = fmt.Sprintf("data is %s old", days(r.DataAge))
		}
		if s.LastSync != nil && s.LastSync.Outcome == store.SyncFailed {
			msg := fmt.Sprintf("last sync failed %s ago: %s", days(max(now.Sub(s.LastSync.FetchedAt), 0)), s.LastSync.Error)
			if r.Note != "" {
				msg = r.Note + "; " + msg
			}
			r.Note = msg
		}
		out = append(out, r)
	}
	return out, nil
}

// days prints a duration in days, or hours under two days.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
