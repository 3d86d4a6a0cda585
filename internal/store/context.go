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
