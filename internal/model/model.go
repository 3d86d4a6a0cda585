// Package model holds ctem's plain domain types: assets and their identifiers,
// findings and the detections behind them, imports, vulnerability intel,
// exceptions, tickets and snapshots. It does no I/O.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// AssetKind says what an asset is.
type AssetKind string

// Asset kinds.
const (
	AssetHost       AssetKind = "host"
	AssetImage      AssetKind = "image"
	AssetCloud      AssetKind = "cloud_resource"
	AssetRepository AssetKind = "repository"
	AssetWebApp     AssetKind = "web_application"
	AssetDomain     AssetKind = "domain"
	AssetIdentity   AssetKind = "identity"
	AssetPackage    AssetKind = "package"
)

// AssetKinds lists every asset kind, in display order.
var AssetKinds = []AssetKind{AssetHost, AssetImage, AssetCloud, AssetRepository, AssetWebApp, AssetDomain, AssetIdentity, AssetPackage}

// IdentifierKind says what an identifier value is.
type IdentifierKind string

// Identifier kinds. Strong identifiers name one asset for ever (a cloud ARN,
// an image digest); weak ones can move between machines (an IP address).
const (
	IDHostname    IdentifierKind = "hostname"
	IDFQDN        IdentifierKind = "fqdn"
	IDIPv4        IdentifierKind = "ipv4"
	IDIPv6        IdentifierKind = "ipv6"
	IDMAC         IdentifierKind = "mac"
	IDCloudID     IdentifierKind = "cloud_id"
	IDARN         IdentifierKind = "arn"
	IDImageDigest IdentifierKind = "image_digest"
	IDImageID     IdentifierKind = "image_id"
	IDImageRef    IdentifierKind = "image_ref"
	IDRepoURL     IdentifierKind = "repo_url"
	IDURL         IdentifierKind = "url"
	IDName        IdentifierKind = "name"
)

// Identifier is one name by which an asset is known.
type Identifier struct {
	Kind  IdentifierKind `json:"kind"`
	Value string         `json:"value"`
}

// Asset is something an organization owns that can be exposed.
type Asset struct {
	ID              int64             `json:"id"`
	Kind            AssetKind         `json:"kind"`
	Name            string            `json:"name"`
	Identifiers     []Identifier      `json:"identifiers,omitempty"`
	Attributes      map[string]string `json:"attributes,omitempty"` // os, account, region, ...
	Tags            map[string]string `json:"tags,omitempty"`
	Criticality     int               `json:"criticality,omitempty"` // 1..5, 0 = not set
	InternetExposed bool              `json:"internet_exposed"`
	Owner           string            `json:"owner,omitempty"`
	CrownJewel      bool              `json:"crown_jewel,omitempty"`
	// Context says which ctem.yaml rule set each business attribute.
	Context   []ContextDecision `json:"context,omitempty"`
	FirstSeen time.Time         `json:"first_seen"`
	LastSeen  time.Time         `json:"last_seen"`
}

// ContextDecision records that a ctem.yaml rule or scope set an asset
// attribute: "criticality 5 from rule payments-db in ctem.yaml line 42".
type ContextDecision struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
	Source    string `json:"source"` // context_rule or scope
	Rule      string `json:"rule"`
	File      string `json:"file"`
	Line      int    `json:"line"`
}

// FindingKind says what sort of exposure a finding is.
type FindingKind string

// Finding kinds.
const (
	KindVulnerability    FindingKind = "vulnerability"
	KindMisconfiguration FindingKind = "misconfiguration"
	KindSecret           FindingKind = "secret"
	KindCodeWeakness     FindingKind = "code_weakness"
	KindExposedService   FindingKind = "exposed_service"
	KindWebWeakness      FindingKind = "web_weakness"
	KindIdentityWeakness FindingKind = "identity_weakness"
)

// FindingKinds lists every finding kind.
var FindingKinds = []FindingKind{KindVulnerability, KindMisconfiguration, KindSecret, KindCodeWeakness, KindExposedService, KindWebWeakness, KindIdentityWeakness}

// Severity is ctem's normalized severity.
type Severity string

// Severities, most severe first.
const (
	SevCritical Severity = "critical"
	SevHigh     Severity = "high"
	SevMedium   Severity = "medium"
	SevLow      Severity = "low"
	SevInfo     Severity = "info"
)

// Severities lists the severities, most severe first.
var Severities = []Severity{SevCritical, SevHigh, SevMedium, SevLow, SevInfo}

// Rank orders severities: critical 5 .. info 1, unknown 0.
func (s Severity) Rank() int {
	switch s {
	case SevCritical:
		return 5
	case SevHigh:
		return 4
	case SevMedium:
		return 3
	case SevLow:
		return 2
	case SevInfo:
		return 1
	}
	return 0
}

// Status is a finding's lifecycle state.
type Status string

// Finding states. Open, Fixed and Reopened are set by imports; the others are
// manual decisions that imports never overwrite.
const (
	StatusOpen          Status = "open"
	StatusFixed         Status = "fixed"
	StatusReopened      Status = "reopened"
	StatusAccepted      Status = "accepted"
	StatusFalsePositive Status = "false_positive"
)

// Statuses lists every status.
var Statuses = []Status{StatusOpen, StatusReopened, StatusFixed, StatusAccepted, StatusFalsePositive}

// IsManual reports whether a person set this status (imports keep it).
func (s Status) IsManual() bool { return s == StatusAccepted || s == StatusFalsePositive }

// IsActive reports whether the finding still needs work.
func (s Status) IsActive() bool { return s == StatusOpen || s == StatusReopened }

// Component is the software package a finding is in.
type Component struct {
	Name         string `json:"name,omitempty"`
	Version      string `json:"version,omitempty"`
	FixedVersion string `json:"fixed_version,omitempty"`
	PURL         string `json:"purl,omitempty"`
	Ecosystem    string `json:"ecosystem,omitempty"`
	Path         string `json:"path,omitempty"` // where the package was found
}

// Location is where on an asset a finding is.
type Location struct {
	Port     int    `json:"port,omitempty"`
	Protocol string `json:"protocol,omitempty"` // tcp, udp, http, https...
	Service  string `json:"service,omitempty"`
	URL      string `json:"url,omitempty"`
	Method   string `json:"method,omitempty"`
	Param    string `json:"param,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	EndLine  int    `json:"end_line,omitempty"`
	Resource string `json:"resource,omitempty"` // cloud or IaC resource
}

// CVSS is one parsed CVSS vector.
type CVSS struct {
	Version string  `json:"version"` // 2.0, 3.0, 3.1, 4.0
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// Priority is the decision of the prioritization stage.
type Priority struct {
	Band        string    `json:"band,omitempty"` // P1..P4
	Score       int       `json:"score"`          // risk points 0..1000
	Explanation string    `json:"explanation,omitempty"`
	Policy      string    `json:"policy,omitempty"` // policy version that decided it
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// Validation states.
const (
	ValidationUnknown     = "unknown"
	ValidationExploitable = "exploitable"
	ValidationRefuted     = "refuted"
)

// Finding is one exposure on one asset, however many tools report it.
type Finding struct {
	ID          int64       `json:"id"`
	AssetID     int64       `json:"asset_id"`
	AssetName   string      `json:"asset_name,omitempty"`
	Fingerprint string      `json:"fingerprint"`
	Kind        FindingKind `json:"kind"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Severity    Severity    `json:"severity"`
	VulnID      string      `json:"vuln_id,omitempty"` // canonical id: a CVE where known
	Aliases     []string    `json:"aliases,omitempty"`
	CWEs        []int       `json:"cwes,omitempty"`
	CVSS        []CVSS      `json:"cvss,omitempty"`
	RuleID      string      `json:"rule_id,omitempty"`
	Component   Component   `json:"component,omitzero"`
	Location    Location    `json:"location,omitzero"`
	Remediation string      `json:"remediation,omitempty"`
	References  []string    `json:"references,omitempty"`

	Status      Status     `json:"status"`
	StatusNote  string     `json:"status_note,omitempty"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
	FixedAt     *time.Time `json:"fixed_at,omitempty"`
	ReopenCount int        `json:"reopen_count,omitempty"`

	Priority   Priority   `json:"priority,omitzero"`
	Validation string     `json:"validation,omitempty"`
	Owner      string     `json:"owner,omitempty"`
	SLADue     *time.Time `json:"sla_due,omitempty"`
	TicketID   int64      `json:"ticket_id,omitempty"`
	Sources    []string   `json:"sources,omitempty"` // tools with a present detection
}

// Detection is one source's report of a finding.
type Detection struct {
	ID        int64     `json:"id"`
	FindingID int64     `json:"finding_id"`
	Source    string    `json:"source"`   // format name, e.g. trivy
	ToolID    string    `json:"tool_id"`  // the tool's own id for it
	Severity  string    `json:"severity"` // the tool's original severity
	Present   bool      `json:"present"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	ImportID  int64     `json:"import_id"` // the import that last changed it
	Evidence  string    `json:"evidence,omitempty"`
}

// ImportCounts says what one import changed.
type ImportCounts struct {
	Findings      int `json:"findings"` // findings in the report after dedup
	Detections    int `json:"detections"`
	New           int `json:"new"`
	Unchanged     int `json:"unchanged"`
	Updated       int `json:"updated"`    // seen again with changed details
	Correlated    int `json:"correlated"` // already reported by another source: one finding, one more detection
	Duplicates    int `json:"duplicates"` // repeated in the same report, folded into one
	Fixed         int `json:"fixed"`
	Reopened      int `json:"reopened"`
	AssetsCovered int `json:"assets_covered"`
	AssetsCreated int `json:"assets_created"`
	AssetsMerged  int `json:"assets_merged"`
}

// Import is one ingested report or connector pull.
type Import struct {
	ID            int64        `json:"id"`
	Source        string       `json:"source"` // format name
	FormatVersion int          `json:"format_version"`
	File          string       `json:"file"`
	Digest        string       `json:"digest"` // sha256 of the bytes read
	StartedAt     time.Time    `json:"started_at"`
	FinishedAt    time.Time    `json:"finished_at"`
	Counts        ImportCounts `json:"counts"`
	Error         string       `json:"error,omitempty"`
}

// VulnIntel is what threat intelligence says of one vulnerability.
type VulnIntel struct {
	VulnID            string     `json:"vuln_id"`
	KEV               bool       `json:"kev"`
	KEVDateAdded      *time.Time `json:"kev_date_added,omitempty"`
	KEVDueDate        *time.Time `json:"kev_due_date,omitempty"`
	KEVRansomware     bool       `json:"kev_ransomware"`
	EPSS              float64    `json:"epss"`
	EPSSPercentile    float64    `json:"epss_percentile"`
	EPSSModel         string     `json:"epss_model,omitempty"`
	EPSSDate          *time.Time `json:"epss_date,omitempty"`
	CVSS              []CVSS     `json:"cvss,omitempty"`
	SSVCExploitation  string     `json:"ssvc_exploitation,omitempty"` // none, poc, active
	SSVCAutomatable   string     `json:"ssvc_automatable,omitempty"`  // yes, no
	SSVCTechImpact    string     `json:"ssvc_technical_impact,omitempty"`
	ExploitReferences []string   `json:"exploit_references,omitempty"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Exception kinds.
const (
	ExceptionRiskAccepted  = "risk_accepted"
	ExceptionFalsePositive = "false_positive"
	ExceptionCompensating  = "compensating_control"
)

// Exception is a decision to leave a finding open on purpose, for a while.
type Exception struct {
	ID        int64      `json:"id"`
	FindingID int64      `json:"finding_id"`
	Kind      string     `json:"kind"`
	Reason    string     `json:"reason"`
	Requester string     `json:"requester"`
	Approver  string     `json:"approver,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Ticket is a remediation ticket in an external tracker.
type Ticket struct {
	ID         int64     `json:"id"`
	Tracker    string    `json:"tracker"` // jira, github, servicenow
	Key        string    `json:"key"`
	URL        string    `json:"url"`
	State      string    `json:"state"`
	Title      string    `json:"title"`
	FindingIDs []int64   `json:"finding_ids,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Snapshot holds one day's counts for one scope and band, for trends.
type Snapshot struct {
	Day     time.Time `json:"day"`
	Scope   string    `json:"scope"`
	Band    string    `json:"band"`
	Open    int       `json:"open"`
	Opened  int       `json:"opened"`
	Fixed   int       `json:"fixed"`
	Overdue int       `json:"overdue"`
}

// Fingerprint is a finding's identity: its asset and the per-kind recipe key
// (vuln id and package, rule and anchor, ...) hashed together. Keeping the
// key separately lets a merge of two assets re-key their findings.
func Fingerprint(assetID int64, key string) string {
	// The sum of "<asset id>\x00<key>", built without fmt: an import
	// computes a million of these on its one writing goroutine.
	b := make([]byte, 0, 24+len(key))
	b = strconv.AppendInt(b, assetID, 10)
	b = append(append(b, 0), key...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
