package store

import (
	"context"
	"time"

	"github.com/ctemhq/ctem/internal/model"
)

// ContextStore keeps what the scope and prioritize stages decide about
// assets and findings.
type ContextStore interface {
	// SetScopeMembers replaces the whole scope membership in one
	// transaction: scope name -> asset ids.
	SetScopeMembers(ctx context.Context, members map[string][]int64) error
	// SetScopeFindings replaces, for the scopes that have a finding
	// selector, which findings belong: scope name -> finding ids.
	SetScopeFindings(ctx context.Context, findings map[string][]int64) error
	// ScopeMembers returns the scope names of each asset.
	ScopeMembers(ctx context.Context, assetIDs []int64) (map[int64][]string, error)
	// UpdateAssetContext writes business context decided by ctem.yaml rules.
	UpdateAssetContext(ctx context.Context, updates []AssetContext) error
	// PutSetting sets an instance setting.
	PutSetting(ctx context.Context, key, value string) error
	// SetPriorities writes prioritization decisions.
	SetPriorities(ctx context.Context, ps []PriorityUpdate) error

	// ScanRescore reads the open and reopened findings sel selects, in
	// batches of at most sel.Batch, and calls fn with each batch (never
	// concurrently; the slice is reused after fn returns). Each finding
	// appears once. Without sel.Full only what rescoring reads is set: ID,
	// AssetID, Kind, Severity, VulnID, CVSS, Validation, Status (open) and
	// the stored decision (Priority.Band, Priority.Score,
	// Priority.DecidedAt, Owner, SLADue). Findings with the same CVSS (and,
	// with Full, the same aliases, CWEs, references, component or location)
	// share the decoded value, which fn must not modify.
	ScanRescore(ctx context.Context, sel RescoreSelection, fn func([]model.Finding) error) error
	// CountRescore estimates from indexes, without reading findings, how
	// many findings (of any status) sel selects: an upper bound, for
	// choosing between look-ups and a scan.
	CountRescore(ctx context.Context, sel RescoreSelection) (int, error)
	// FindingIDBounds returns the smallest and largest finding id, any
	// status (0, 0 when there are no findings).
	FindingIDBounds(ctx context.Context) (lo, hi int64, err error)
	// ImportedAssets returns the assets these imports covered (as the
	// coverage table records them: until a later import of the same source
	// covers the asset again).
	ImportedAssets(ctx context.Context, importIDs []int64) ([]int64, error)
}

// RescoreSelection selects findings for a rescoring run; only open and
// reopened findings are ever read. The lists are combined with OR: a
// finding is selected when any of them selects it.
type RescoreSelection struct {
	// All selects every open finding; the lists are then ignored.
	All       bool
	IDs       []int64
	AssetIDs  []int64
	VulnIDs   []string
	NewerThan int64 // when > 0, also every finding whose id is above it
	// Scan reads the findings in id order and filters them, instead of
	// looking the lists up by index: faster when they cover a large part of
	// the table. MinID and MaxID (inclusive, 0 = unbounded) then bound the
	// scan, so that several scans can split the table between them.
	Scan         bool
	MinID, MaxID int64
	// Full reads whole findings, as ListFindings returns them, for
	// ctem.yaml rules that look at more than rescoring reads.
	Full  bool
	Batch int // findings per call of fn; 0 = 2,000
}

// AssetContext is the business context of one asset.
type AssetContext struct {
	AssetID         int64
	Criticality     int
	InternetExposed bool
	Owner           string
	Tags            map[string]string
	CrownJewel      bool
	Context         []model.ContextDecision
}

// PriorityUpdate is one finding's decision.
type PriorityUpdate struct {
	FindingID   int64
	Band        string
	Score       int
	Explanation string // JSON
	Policy      string
	DecidedAt   time.Time
	SLADue      *time.Time
	Owner       string
}
