package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ctemhq/ctem/internal/model"
)

// IngestTx is the write side of one import, inside one transaction. Imports
// run one at a time (SQLite has one writer; on PostgreSQL, replicas queue on
// an advisory lock): an import decides from the stored state it read, which
// a concurrent import over the same assets would make stale. Writes are
// upserts keyed by asset and finding key, except rows the caller marks
// fresh.
type IngestTx interface {
	BeginImport(ctx context.Context, imp *model.Import) error
	FinishImport(ctx context.Context, imp model.Import) error

	// LookupIdentifiers returns the live (not merged away) assets holding
	// any of ids.
	LookupIdentifiers(ctx context.Context, ids []model.Identifier) ([]IdentifierRecord, error)
	// MergeBlocked reports whether a person split these two assets apart,
	// so that no rule may merge them again.
	MergeBlocked(ctx context.Context, a, b int64) (bool, error)
	// LoadAssets reads assets with all their identifiers.
	LoadAssets(ctx context.Context, ids []int64) ([]model.Asset, error)
	CreateAsset(ctx context.Context, a *model.Asset, importID int64, rule string) error
	AddIdentifiers(ctx context.Context, assetID int64, ids []model.Identifier, importID int64, rule string, at time.Time) error
	// MergeAssets folds asset from into asset into: its findings move (and
	// combine with into's findings of the same key), and from is kept, marked
	// merged, so that the merge can be explained and split.
	MergeAssets(ctx context.Context, into, from int64, rule string, importID int64, at time.Time) error
	// RenameAsset sets an asset's display name.
	RenameAsset(ctx context.Context, id int64, name string) error
	// TouchAssets sets last_seen and fills attributes the asset lacks.
	TouchAssets(ctx context.Context, ids []int64, at time.Time) error

	// FindingStates returns what is stored for these findings, by
	// fingerprint, with the detection of source when there is one.
	FindingStates(ctx context.Context, source string, keys []FindingKey) (map[string]FindingState, error)
	// AssetFindingStates is FindingStates for every finding of these
	// assets: one range read per asset instead of a look-up per
	// fingerprint, for a re-import that sees each asset again whole.
	AssetFindingStates(ctx context.Context, source string, assetIDs []int64) (map[string]FindingState, error)
	// UpsertFindings writes findings and returns their ids by fingerprint.
	// An existing finding's descriptive fields change only when the writing
	// source is the one that created it.
	UpsertFindings(ctx context.Context, fs []FindingWrite, at time.Time) (map[string]int64, error)
	// UpsertDetections writes detections as present.
	UpsertDetections(ctx context.Context, ds []DetectionWrite, importID int64, at time.Time) error
	// ReopenFindings turns fixed findings back to reopened.
	ReopenFindings(ctx context.Context, ids []int64, at time.Time) error
	// PresentDetections calls fn for every present detection of source on
	// the given assets.
	PresentDetections(ctx context.Context, source string, assetIDs []int64, fn func(detectionID, findingID int64) error) error
	// MarkAbsent marks detections absent, then fixes the findings left with
	// no present detection, and returns how many findings it fixed.
	MarkAbsent(ctx context.Context, detectionIDs []int64, importID int64, at time.Time) (fixed int, err error)
	// SetCoverage records that source covered these assets now.
	SetCoverage(ctx context.Context, source string, assetIDs []int64, importID int64, at time.Time) error
}

// FindingKey is a finding's identity: its asset and its recipe key (the
// fingerprint is derived from the two).
type FindingKey struct {
	AssetID int64
	Key     string
}

// FindingState is the stored state the lifecycle needs for one fingerprint.
type FindingState struct {
	FindingID     int64
	AssetID       int64
	Status        model.Status
	Source        string // the source that created the finding
	ContentHash   string
	DetectionID   int64 // 0 when source has no detection yet
	Present       bool
	DetectionHash string
}

// FindingWrite is one finding to insert or update.
type FindingWrite struct {
	Finding     model.Finding // AssetID and Fingerprint set
	Key         string        // the fingerprint recipe key
	Source      string
	ContentHash string
	// JSON is Finding's structured fields encoded, and TextDigest the
	// digest of its FindingText, when the caller has computed them already
	// (the pipeline does, off the writing goroutine).
	JSON       *FindingJSON
	TextDigest string
	// Fresh says no finding of this identity is stored: the caller read
	// so in this transaction. A batch of fresh rows may be written without
	// upsert (PostgreSQL copies it straight into the table).
	Fresh bool
}

// JSONText encodes v for a JSON column; nil maps and slices become empty.
func JSONText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// DetectionWrite is one source's detection of a finding.
type DetectionWrite struct {
	FindingID   int64
	Source      string
	ToolID      string
	Severity    string
	Evidence    string
	ContentHash string
	Fresh       bool // the finding has no detection stored (see FindingWrite.Fresh)
}
