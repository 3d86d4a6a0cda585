package store

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/ctemhq/ctem/internal/model"
)

// ErrStale is returned when a feed snapshot is older than the one already
// loaded (a KEV catalog released before the current one): loading it would
// record false removals, so it is refused and nothing changes.
var ErrStale = errors.New("stale")

// Feed names, as recorded in feed_syncs.
const (
	FeedKEV  = "kev"
	FeedEPSS = "epss"
	FeedNVD  = "nvd"
)

// Feed sync outcomes.
const (
	SyncLoaded    = "loaded"    // new data was loaded
	SyncUnchanged = "unchanged" // 304 Not Modified, or the same bytes as last time
	SyncFailed    = "failed"
)

// IntelStore keeps threat intelligence with its history: every KEV catalog
// diffed into additions and removals, EPSS scores per day with the model
// version, CVE records (CVSS, CISA SSVC points), and the feed syncs that
// brought them. It also maintains the current view of each vulnerability
// (model.VulnIntel) that prioritization reads.
//
// Every load is one transaction: a load that fails changes nothing.
type IntelStore interface {
	// LoadKEV diffs catalog against the entries currently listed and
	// records additions (first seen at the catalog's release) and removals
	// (removed at the release of the first catalog without them). Entries
	// still listed take the catalog's values (dateAdded corrections, a
	// ransomware flag turning Known). A catalog released before the newest
	// one loaded fails with ErrStale; loading the same catalog again changes
	// nothing.
	LoadKEV(ctx context.Context, catalog KEVCatalog) (added, removed int, err error)
	// KEVEntries lists KEV entries by vulnerability id, listed ones first.
	KEVEntries(ctx context.Context, f KEVFilter) ([]KEVEntry, error)
	// KEVCatalogs lists the catalogs loaded, newest first.
	KEVCatalogs(ctx context.Context) ([]KEVCatalogInfo, error)

	// LoadEPSS stores one day of EPSS scores, replacing that day if it was
	// loaded before (idempotent per day). rows is read inside the write
	// transaction; an error it yields rolls everything back. When day is
	// the newest day stored, the current view follows it. It returns the
	// number of rows stored.
	LoadEPSS(ctx context.Context, day EPSSDay, rows iter.Seq2[EPSSScore, error]) (int, error)
	// EPSSDays lists the days stored, newest first.
	EPSSDays(ctx context.Context) ([]EPSSDay, error)
	// EPSSAt returns the score of id on the latest stored day on or before
	// date, or ErrNotFound.
	EPSSAt(ctx context.Context, id string, date time.Time) (EPSSScore, error)
	// EPSSHistory returns the scores of id between from and to (inclusive
	// dates; zero = unbounded), oldest first.
	EPSSHistory(ctx context.Context, id string, from, to time.Time) ([]EPSSScore, error)

	// UpsertCVEs stores CVE records, read from records inside one write
	// transaction (an error it yields rolls everything back); a record
	// older (by LastModified) than the stored one is ignored. It returns
	// how many records were written.
	UpsertCVEs(ctx context.Context, records iter.Seq2[CVERecord, error]) (int, error)
	// CVERecords reads stored CVE records by id.
	CVERecords(ctx context.Context, ids []string) (map[string]CVERecord, error)

	// VulnIntel returns the current view of each id that has any intel.
	VulnIntel(ctx context.Context, ids []string) (map[string]model.VulnIntel, error)
	// ChangedVulns lists, in id order, the vulnerabilities whose current
	// view changed after since: KEV status, EPSS probability or model, CVSS,
	// SSVC points or exploit references (not the daily EPSS percentile or
	// date alone). With onlyInFindings, only ids some finding carries.
	ChangedVulns(ctx context.Context, since time.Time, onlyInFindings bool) ([]string, error)

	// RecordFeedSync logs one fetch or load of a feed.
	RecordFeedSync(ctx context.Context, s FeedSync) (int64, error)
	// LastFeedSync returns the latest successful (loaded or unchanged) sync
	// of feed from source ("" = any source), or ErrNotFound.
	LastFeedSync(ctx context.Context, feed, source string) (FeedSync, error)
	// FeedStatus summarizes each feed: what is loaded and the last sync.
	FeedStatus(ctx context.Context) ([]FeedStatus, error)
}

// KEVCatalog is one CISA Known Exploited Vulnerabilities catalog.
type KEVCatalog struct {
	Version  string    // catalogVersion, e.g. 2025.08.25
	Released time.Time // dateReleased
	Count    int       // count as stated by the catalog
	Entries  []KEVEntry
}

// KEVEntry is one catalog entry. Dates are UTC midnights.
type KEVEntry struct {
	VulnID           string     `json:"vuln_id"`
	VendorProject    string     `json:"vendor_project"`
	Product          string     `json:"product"`
	Name             string     `json:"name"`
	DateAdded        time.Time  `json:"date_added"`
	DueDate          *time.Time `json:"due_date,omitempty"`
	Ransomware       bool       `json:"ransomware"` // knownRansomwareCampaignUse is Known
	ShortDescription string     `json:"short_description,omitempty"`
	RequiredAction   string     `json:"required_action,omitempty"`
	Notes            string     `json:"notes,omitempty"`
	CWEs             []string   `json:"cwes,omitempty"`
	ForensicTriage   string     `json:"forensic_triage,omitempty"` // Yes, No or empty (field new in 2026)

	// History, kept by the store.
	CatalogVersion string     `json:"catalog_version,omitempty"` // the catalog that first listed it
	FirstSeenAt    time.Time  `json:"first_seen_at,omitzero"`    // that catalog's release
	RemovedAt      *time.Time `json:"removed_at,omitempty"`      // release of the first catalog without it
	RemovedVersion string     `json:"removed_version,omitempty"`
}

// KEVFilter selects KEV entries.
type KEVFilter struct {
	IDs            []string // empty = all
	IncludeRemoved bool
}

// KEVCatalogInfo is one loaded catalog.
type KEVCatalogInfo struct {
	Version  string
	Released time.Time
	Entries  int
	Added    int
	Removed  int
	LoadedAt time.Time
}

// EPSSDay describes one day of EPSS scores.
type EPSSDay struct {
	Date         time.Time // the score date (UTC midnight)
	ScoredAt     time.Time // score_date as the file states it (e.g. 12:55Z)
	ModelVersion string    // opaque, e.g. v2025.03.14; empty before v2
	Rows         int       // set by the store
	SHA256       string    // of the file, when known
	LoadedAt     time.Time // set by the store
}

// EPSSScore is one CVE's EPSS score on one day.
type EPSSScore struct {
	VulnID       string    `json:"vuln_id"`
	EPSS         float64   `json:"epss"`
	Percentile   float64   `json:"percentile"`
	Date         time.Time `json:"date,omitzero"`
	ModelVersion string    `json:"model_version,omitempty"`
}

// CVSSMetric is one CVSS assessment from a CVE record.
type CVSSMetric struct {
	Source   string  `json:"source"`
	Type     string  `json:"type,omitempty"` // Primary, Secondary
	Version  string  `json:"version"`        // 2.0, 3.0, 3.1, 4.0
	Vector   string  `json:"vector"`
	Score    float64 `json:"score"`
	Severity string  `json:"severity,omitempty"`
}

// SSVC is the set of SSVC decision points an ADP (CISA) recorded.
type SSVC struct {
	Source          string    `json:"source,omitempty"`
	Role            string    `json:"role,omitempty"`
	Version         string    `json:"version,omitempty"`
	Timestamp       time.Time `json:"timestamp,omitzero"`
	Exploitation    string    `json:"exploitation,omitempty"`     // none, poc, active
	Automatable     string    `json:"automatable,omitempty"`      // yes, no
	TechnicalImpact string    `json:"technical_impact,omitempty"` // partial, total
}

// CVERecord is what ctem keeps of one CVE record (NVD CVE API 2.0).
type CVERecord struct {
	ID               string       `json:"id"`
	SourceIdentifier string       `json:"source_identifier,omitempty"`
	Published        time.Time    `json:"published,omitzero"`
	LastModified     time.Time    `json:"last_modified,omitzero"`
	Status           string       `json:"status,omitempty"` // vulnStatus: Analyzed, Modified, Rejected...
	Description      string       `json:"description,omitempty"`
	CVSS             []CVSSMetric `json:"cvss,omitempty"` // preferred first: v4.0, 3.1, 3.0, 2.0; Primary first
	SSVC             *SSVC        `json:"ssvc,omitempty"`
	CWEs             []string     `json:"cwes,omitempty"`
	ExploitRefs      []string     `json:"exploit_refs,omitempty"` // references tagged Exploit

	// CISA KEV data NVD copies into the record.
	CISAExploitAdd        *time.Time `json:"cisa_exploit_add,omitempty"`
	CISAActionDue         *time.Time `json:"cisa_action_due,omitempty"`
	CISARequiredAction    string     `json:"cisa_required_action,omitempty"`
	CISAVulnerabilityName string     `json:"cisa_vulnerability_name,omitempty"`
}

// FeedSync is one fetch (or offline load) of a feed.
type FeedSync struct {
	ID     int64
	Feed   string // kev, epss, nvd
	Source string // URL, or file path for offline loads
	// FetchedAt is when the fetch or load happened.
	FetchedAt time.Time
	// Version is the feed's own version: KEV catalogVersion, EPSS score
	// date and model, or for NVD the lastModEndDate up to which records are
	// complete (RFC 3339), the start of the next incremental sync.
	Version      string
	ETag         string
	LastModified string // the Last-Modified header, as sent
	Rows         int
	SHA256       string
	Outcome      string // loaded, unchanged, failed
	Error        string
}

// FeedStatus summarizes one feed.
type FeedStatus struct {
	Feed    string
	Version string    // KEV catalog version, EPSS model version, NVD newest lastModified
	AsOf    time.Time // KEV release, EPSS score date, newest NVD lastModified; zero when empty
	Rows    int       // KEV entries listed, EPSS scores of the newest day, CVE records
	History int       // KEV catalogs loaded, EPSS days stored (NVD: as Rows)
	// LastSync is the latest sync, whatever its outcome; LastSuccess the
	// latest loaded or unchanged one.
	LastSync    *FeedSync
	LastSuccess *FeedSync
}

// Records yields the records of a slice, for UpsertCVEs.
func Records(recs []CVERecord) iter.Seq2[CVERecord, error] {
	return func(yield func(CVERecord, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}
