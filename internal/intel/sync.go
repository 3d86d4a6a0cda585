package intel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/store"
)

// Feeds lists the feed names in sync order.
var Feeds = []string{store.FeedKEV, store.FeedEPSS, store.FeedNVD}

// DefaultFeeds are the feeds Sync fetches when none is named: NVD is left
// out because its first sync pages through every CVE (about 15 minutes
// without an API key).
var DefaultFeeds = []string{store.FeedKEV, store.FeedEPSS}

// SyncOptions says what Sync fetches.
type SyncOptions struct {
	// Feeds to sync: kev, epss, nvd (default DefaultFeeds).
	Feeds []string
	// Force fetches and loads even when the feed is unchanged (no
	// conditional request, no digest comparison).
	Force bool
	// NVDSince fetches the CVE records modified since then; zero means
	// since the last NVD sync, or every record when there was none.
	NVDSince time.Time
	// NVDCVEs, when set, fetches just these CVE records (one request
	// each) instead of a time window.
	NVDCVEs []string
}

// Result is what one sync or load of one feed source did.
type Result struct {
	Feed     string
	Source   string // URL or file
	Outcome  string // loaded, unchanged, failed, skipped (files LoadDir does not know)
	Version  string // KEV catalog version, EPSS date and model, NVD window end
	Rows     int    // entries, scores or records loaded
	Added    int    // KEV entries added
	Removed  int    // KEV entries removed
	Warnings []string
	Err      error
	Duration time.Duration
}

// Sync fetches the feeds and loads what changed into st. It goes on after
// a feed fails and returns every result, with the failures joined in err.
func (c *Client) Sync(ctx context.Context, st store.IntelStore, opts SyncOptions) ([]Result, error) {
	feeds := opts.Feeds
	if len(feeds) == 0 {
		feeds = DefaultFeeds
	}
	var out []Result
	var errs []error
	for _, feed := range feeds {
		start := c.cfg.Now()
		var r Result
		switch feed {
		case store.FeedKEV:
			r = c.syncKEV(ctx, st, opts.Force)
		case store.FeedEPSS:
			r = c.syncEPSS(ctx, st, opts.Force)
		case store.FeedNVD:
			r = c.syncNVD(ctx, st, opts)
		default:
			r = Result{Feed: feed, Outcome: store.SyncFailed, Err: fmt.Errorf("unknown feed %q (want kev, epss or nvd)", feed)}
		}
		r.Duration = c.cfg.Now().Sub(start)
		c.log.InfoContext(ctx, "feed sync", "feed", r.Feed, "outcome", r.Outcome, "version", r.Version, "rows", r.Rows, "err", r.Err)
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", feed, r.Err))
		}
		out = append(out, r)
		if ctx.Err() != nil {
			break
		}
	}
	return out, errors.Join(errs...)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// conditional returns the If-None-Match / If-Modified-Since headers from
// the last successful sync.
func conditional(prev *store.FeedSync, force bool) http.Header {
	h := http.Header{}
	if prev == nil || force {
		return h
	}
	if prev.ETag != "" {
		h.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		h.Set("If-Modified-Since", prev.LastModified)
	}
	return h
}

func lastSync(ctx context.Context, st store.IntelStore, feed, source string) (*store.FeedSync, error) {
	prev, err := st.LastFeedSync(ctx, feed, source)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &prev, nil
}

// record logs r in feed_syncs; a failure to log becomes r's error.
func record(ctx context.Context, st store.IntelStore, r *Result, at time.Time, resp *response, sum string, prev *store.FeedSync) {
	fs := store.FeedSync{Feed: r.Feed, Source: r.Source, FetchedAt: at, Version: r.Version, Rows: r.Rows, SHA256: sum, Outcome: r.Outcome}
	if resp != nil {
		fs.ETag, fs.LastModified = resp.etag, resp.lastModified
	}
	if r.Outcome == store.SyncUnchanged && prev != nil {
		// Carry what is still current forward.
		fs.Version, fs.SHA256 = prev.Version, prev.SHA256
		if fs.ETag == "" {
			fs.ETag = prev.ETag
		}
		if fs.LastModified == "" {
			fs.LastModified = prev.LastModified
		}
	}
	if r.Err != nil {
		fs.Error = r.Err.Error()
	}
	if _, err := st.RecordFeedSync(ctx, fs); err != nil && r.Err == nil {
		r.Err = err
		r.Outcome = store.SyncFailed
	}
}

// fetch does the conditional GET shared by KEV and EPSS. done is true when
// r is final (failed or unchanged, and recorded).
func (c *Client) fetch(ctx context.Context, st store.IntelStore, r *Result, force bool) (resp *response, sum string, prev *store.FeedSync, done bool) {
	at := c.cfg.Now()
	prev, err := lastSync(ctx, st, r.Feed, r.Source)
	if err != nil {
		r.Outcome, r.Err = store.SyncFailed, err
		return nil, "", nil, true
	}
	resp, err = c.get(ctx, r.Feed, r.Source, conditional(prev, force))
	if err != nil {
		r.Outcome, r.Err = store.SyncFailed, err
		record(ctx, st, r, at, nil, "", prev)
		return nil, "", prev, true
	}
	if resp.notModified {
		r.Outcome = store.SyncUnchanged
		if prev != nil {
			r.Version = prev.Version
		}
		record(ctx, st, r, at, resp, "", prev)
		return resp, "", prev, true
	}
	sum = digest(resp.body)
	if !force && prev != nil && prev.SHA256 == sum {
		r.Outcome, r.Version = store.SyncUnchanged, prev.Version
		record(ctx, st, r, at, resp, sum, prev)
		return resp, sum, prev, true
	}
	return resp, sum, prev, false
}

// placed names the source in a parse error, and drops the context a
// store wrapped it in: the position says it all.
func placed(err error, source string) error {
	var pe *report.ParseError
	if errors.As(err, &pe) {
		if pe.File == "" {
			pe.File = source
		}
		return pe
	}
	return err
}

// placedSeq names the source in the parse errors seq yields, before a
// store wraps them.
func placedSeq[T any](seq iter.Seq2[T, error], source string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for v, err := range seq {
			if err != nil {
				err = placed(err, source)
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

func (c *Client) syncKEV(ctx context.Context, st store.IntelStore, force bool) Result {
	r := Result{Feed: store.FeedKEV, Source: c.cfg.KEVURL}
	at := c.cfg.Now()
	resp, sum, prev, done := c.fetch(ctx, st, &r, force)
	if done {
		return r
	}
	loadKEV(ctx, st, &r, resp.body, sum)
	record(ctx, st, &r, at, resp, sum, prev)
	return r
}

// loadKEV parses and loads one catalog into r.
func loadKEV(ctx context.Context, st store.IntelStore, r *Result, body []byte, sum string) {
	cat, err := ParseKEV(bytes.NewReader(body))
	if err != nil {
		r.Outcome, r.Err = store.SyncFailed, placed(err, r.Source)
		return
	}
	loadCatalog(ctx, st, r, cat)
}

func loadCatalog(ctx context.Context, st store.IntelStore, r *Result, cat store.KEVCatalog) {
	r.Version = cat.Version
	if cat.Count != 0 && cat.Count != len(cat.Entries) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("catalog %s says count %d but lists %d entries", cat.Version, cat.Count, len(cat.Entries)))
	}
	added, removed, err := st.LoadKEV(ctx, cat)
	switch {
	case errors.Is(err, store.ErrStale):
		r.Outcome = store.SyncUnchanged
		r.Warnings = append(r.Warnings, err.Error()+"; not loaded")
	case err != nil:
		r.Outcome, r.Err = store.SyncFailed, err
	default:
		r.Outcome, r.Rows, r.Added, r.Removed = store.SyncLoaded, len(cat.Entries), added, removed
	}
}

func (c *Client) syncEPSS(ctx context.Context, st store.IntelStore, force bool) Result {
	r := Result{Feed: store.FeedEPSS, Source: c.cfg.EPSSURL}
	at := c.cfg.Now()
	resp, sum, prev, done := c.fetch(ctx, st, &r, force)
	if done {
		return r
	}
	er, err := NewEPSSReader(bytes.NewReader(resp.body))
	if err == nil {
		loadEPSS(ctx, st, &r, er, time.Time{}, sum, force)
	} else {
		r.Outcome, r.Err = store.SyncFailed, placed(err, r.Source)
	}
	record(ctx, st, &r, at, resp, sum, prev)
	return r
}

// loadEPSS loads one EPSS file into r; dateHint stands in for a missing
// score_date.
func loadEPSS(ctx context.Context, st store.IntelStore, r *Result, er *EPSSReader, dateHint time.Time, sum string, force bool) {
	d := er.Day()
	if d.Date.IsZero() {
		if dateHint.IsZero() {
			r.Outcome, r.Err = store.SyncFailed, placed(report.AtLine(1, 1, errors.New("no score_date line, and no date in the file name")), r.Source)
			return
		}
		d.Date = day(dateHint)
	}
	d.SHA256 = sum
	r.Version = epssVersion(d)
	if !force && sum != "" {
		days, err := st.EPSSDays(ctx)
		if err != nil {
			r.Outcome, r.Err = store.SyncFailed, err
			return
		}
		if slices.ContainsFunc(days, func(x store.EPSSDay) bool { return x.Date.Equal(d.Date) && x.SHA256 == sum }) {
			r.Outcome = store.SyncUnchanged
			return
		}
	}
	n, err := st.LoadEPSS(ctx, d, placedSeq(er.Scores(), r.Source))
	if err != nil {
		r.Outcome, r.Err = store.SyncFailed, placed(err, r.Source)
		return
	}
	r.Outcome, r.Rows = store.SyncLoaded, n
}

func epssVersion(d store.EPSSDay) string {
	v := d.Date.Format("2006-01-02")
	if d.ModelVersion != "" {
		v += " " + d.ModelVersion
	}
	return v
}

// nvdWindow is the longest lastModStartDate..lastModEndDate range NVD takes.
const nvdWindow = 120 * 24 * time.Hour

// nvdTime is the date format of NVD's query parameters.
const nvdTime = "2006-01-02T15:04:05.000-07:00"

func (c *Client) syncNVD(ctx context.Context, st store.IntelStore, opts SyncOptions) Result {
	r := Result{Feed: store.FeedNVD, Source: c.cfg.NVDURL}
	at := c.cfg.Now()
	prev, err := lastSync(ctx, st, r.Feed, r.Source)
	if err != nil {
		r.Outcome, r.Err = store.SyncFailed, err
		return r
	}
	requests := 0
	// page fetches one page and loads it; it returns the envelope.
	page := func(q url.Values) (NVDPage, error) {
		if requests > 0 {
			if err := c.cfg.Sleep(ctx, c.cfg.NVDDelay); err != nil {
				return NVDPage{}, err
			}
		}
		requests++
		u := c.cfg.NVDURL + "?" + q.Encode()
		resp, err := c.get(ctx, r.Feed, u, nil)
		if err != nil {
			return NVDPage{}, err
		}
		nr, err := NewNVDReader(bytes.NewReader(resp.body))
		if err != nil {
			return NVDPage{}, placed(err, redact(u))
		}
		n, err := st.UpsertCVEs(ctx, placedSeq(nr.Records(), redact(u)))
		if err != nil {
			return nr.Page(), placed(err, redact(u))
		}
		r.Rows += n
		return nr.Page(), nil
	}
	// pages walks every page of a query.
	pages := func(q url.Values) error {
		for start := 0; ; {
			q.Set("resultsPerPage", strconv.Itoa(c.cfg.NVDPageSize))
			q.Set("startIndex", strconv.Itoa(start))
			p, err := page(q)
			if err != nil {
				return err
			}
			start += p.Records
			if p.Records == 0 || start >= p.TotalResults {
				return nil
			}
		}
	}

	if len(opts.NVDCVEs) > 0 {
		for _, id := range opts.NVDCVEs {
			if err := pages(url.Values{"cveId": {id}}); err != nil {
				r.Outcome, r.Err = store.SyncFailed, err
				break
			}
		}
		if r.Err == nil {
			r.Outcome = store.SyncLoaded
			// Fetching a few records does not move the incremental window.
			if prev != nil {
				r.Version = prev.Version
			}
		}
		record(ctx, st, &r, at, nil, "", nil)
		return r
	}

	since := opts.NVDSince
	if since.IsZero() && prev != nil && prev.Version != "" {
		if t, err := time.Parse(time.RFC3339, prev.Version); err == nil {
			since = t
		}
	}
	until := at.UTC()
	var werr error
	if since.IsZero() {
		werr = pages(url.Values{})
	} else {
		for from := since.UTC(); from.Before(until) && werr == nil; from = from.Add(nvdWindow) {
			to := from.Add(nvdWindow)
			if to.After(until) {
				to = until
			}
			werr = pages(url.Values{"lastModStartDate": {from.Format(nvdTime)}, "lastModEndDate": {to.Format(nvdTime)}})
		}
	}
	if werr != nil {
		r.Outcome, r.Err = store.SyncFailed, werr
	} else {
		r.Outcome, r.Version = store.SyncLoaded, until.Format(time.RFC3339)
	}
	record(ctx, st, &r, at, nil, "", nil)
	return r
}
