// Package store defines how ctem keeps its data. Two backends implement it
// (store/sqlite, the embedded default, and store/postgres) on one shared SQL
// implementation (store/sqlstore); store/storetest is the conformance suite
// both must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/ctemhq/ctem/internal/model"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// Store is the whole of ctem's persistent state.
type Store interface {
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	Ping(ctx context.Context) error
	Close() error

	// Migrate applies pending schema migrations; MigrationStatus lists them.
	Migrate(ctx context.Context) error
	// MigrateTo migrates up or down to version: an older ctem needs its
	// schema back before it can run on the database.
	MigrateTo(ctx context.Context, version int64) error
	MigrationStatus(ctx context.Context) ([]Migration, error)

	AssetReader
	FindingReader
	ImportReader
	SettingsStore
	TokenStore
	ContextStore
	IntelStore

	// SetFindingStatus records a person's decision on a finding
	// (accepted, false_positive) or takes it back (open).
	SetFindingStatus(ctx context.Context, id int64, status model.Status, note string) error

	// SplitAsset undoes the merge of asset id into another, returns the
	// other's id, and keeps the two from being merged again.
	SplitAsset(ctx context.Context, id int64) (into int64, err error)

	// Ingest runs fn in one write transaction: everything fn writes is
	// committed together, or nothing is when fn (or the commit) fails.
	Ingest(ctx context.Context, fn func(tx IngestTx) error) error
}

// Migration is one schema migration and whether it is applied.
type Migration struct {
	Version   int64
	Name      string
	AppliedAt time.Time // zero when pending
}

// Page asks for one page of a list ordered by id: ids greater than After,
// at most Limit rows (0 = no limit).
type Page struct {
	After int64
	Limit int
}

// AssetFilter selects assets.
type AssetFilter struct {
	Page
	Kind  model.AssetKind
	Scope string
	IDs   []int64
}

// FindingFilter selects findings.
type FindingFilter struct {
	Page
	Statuses   []model.Status // empty = open and reopened
	AllStatus  bool           // every status
	Kind       model.FindingKind
	Severities []model.Severity
	AssetID    int64
	Source     string
	VulnID     string
	Scope      string
}

// AssetReader reads assets.
type AssetReader interface {
	ListAssets(ctx context.Context, f AssetFilter) ([]model.Asset, error)
	GetAsset(ctx context.Context, id int64) (model.Asset, error)
	// AssetHistory explains an asset: the identifiers that joined it and the
	// merges into it, with imports and rules.
	AssetHistory(ctx context.Context, id int64) (AssetHistory, error)
	CountAssets(ctx context.Context, f AssetFilter) (int, error)
}

// FindingReader reads findings.
type FindingReader interface {
	ListFindings(ctx context.Context, f FindingFilter) ([]model.Finding, error)
	GetFinding(ctx context.Context, id int64) (model.Finding, error)
	FindingDetections(ctx context.Context, findingID int64) ([]model.Detection, error)
	CountFindings(ctx context.Context, f FindingFilter) (int, error)
}

// ImportReader reads the import log.
type ImportReader interface {
	ListImports(ctx context.Context, p Page) ([]model.Import, error)
	GetImport(ctx context.Context, id int64) (model.Import, error)
}

// IdentifierRecord is an identifier as stored: on which asset, since which
// import, joined by which rule.
type IdentifierRecord struct {
	ID      int64
	AssetID int64
	model.Identifier
	ImportID  int64
	Rule      string
	CreatedAt time.Time
}

// MergeRecord is one merge of asset From into asset Into.
type MergeRecord struct {
	ID       int64
	Into     int64
	From     int64
	Rule     string
	ImportID int64
	MergedAt time.Time
	UndoneAt *time.Time
}

// AssetHistory is what joined an asset together.
type AssetHistory struct {
	Identifiers []IdentifierRecord
	Merges      []MergeRecord
}

// SettingsStore keeps instance settings.
type SettingsStore interface {
	// Setting returns the value of key, creating it with create() the first
	// time (atomically: concurrent callers all get the same value).
	Setting(ctx context.Context, key string, create func() (string, error)) (string, error)
}

// Token roles: a reader reads everything; an admin may also write.
const (
	RoleReader = "reader"
	RoleAdmin  = "admin"
)

// Token is an API token as stored (never the token itself).
type Token struct {
	ID        int64
	Name      string
	Role      string
	CreatedAt time.Time
	LastUsed  *time.Time
	RevokedAt *time.Time
}

// TokenStore keeps API tokens by hash.
type TokenStore interface {
	CreateToken(ctx context.Context, name, role, hash string) (Token, error)
	// TokenByHash returns the live token with this hash and records its use.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, name string) error
}
