// Package prioritize is ctem's prioritization policy: a pure, deterministic
// function from one finding's stored inputs (vulnerability intel, validation
// state, asset context, declared controls) and a versioned Policy to a
// Decision (band, SLA, risk points, threat level, CISA SSVC label) with its
// explanation: the inputs used with their sources and dates, the rule ids
// that fired, the control rewrites, and counterfactuals computed by
// re-deciding with one input changed.
//
// The package does no I/O and never reads the store or the clock: the
// caller passes everything, including the decision time (Input.AsOf), so a
// decision is reproducible bit for bit from (Input, Policy.Version()).
//
// The model is "CTEM Priority v1" of the project's prioritization reference
// (§7): threat level from evidence first (KEV, CISA SSVC exploitation,
// validation, then exploit maturity and EPSS), a base band from the CISA
// BOD 26-04 table (KEV := threat Active), overlays for predicted threat and
// mission impact, floors, and controls that rewrite inputs before the
// tables. The CISA SSVC coordinator decision table (v2.0.3) gives the
// Track / Track* / Attend / Act label. Both tables are embedded CSV data.
// See docs/prioritization.md.
package prioritize

import (
	"strings"
	"time"
)

// Band is a priority band. P0 is the most urgent; P4 means "mitigated by a
// control that removes a precondition — recheck when the control expires".
type Band string

// Bands, most urgent first.
const (
	P0 Band = "P0"
	P1 Band = "P1"
	P2 Band = "P2"
	P3 Band = "P3"
	P4 Band = "P4"
)

// Bands lists every band, most urgent first.
var Bands = []Band{P0, P1, P2, P3, P4}

// Urgency orders bands: P0 = 4 … P4 = 0; -1 for an unknown band.
func (b Band) Urgency() int {
	switch b {
	case P0:
		return 4
	case P1:
		return 3
	case P2:
		return 2
	case P3:
		return 1
	case P4:
		return 0
	}
	return -1
}

var bandByUrgency = [5]Band{P4, P3, P2, P1, P0}

func bandOf(u int8) Band { return bandByUrgency[u] }

// ThreatLevel is how strongly the evidence says the finding is or will be
// exploited.
type ThreatLevel string

// Threat levels, most severe first.
const (
	Active   ThreatLevel = "Active"
	Likely   ThreatLevel = "Likely"
	Possible ThreatLevel = "Possible"
	Unlikely ThreatLevel = "Unlikely"
)

var threatNames = [4]ThreatLevel{Unlikely, Possible, Likely, Active}

// Rank orders threat levels: Active 3 … Unlikely 0; -1 when unknown.
func (t ThreatLevel) Rank() int {
	for i, n := range threatNames {
		if n == t {
			return i
		}
	}
	return -1
}

// Exposure is where an asset can be reached from.
type Exposure string

// Exposures, most exposed first. The empty value means unknown and is
// decided as ExposureInternal (and said so in the explanation).
const (
	ExposureInternet Exposure = "internet"
	ExposureInternal Exposure = "internal"
	ExposureIsolated Exposure = "isolated"
)

// ExposureFromBool maps the store's internet_exposed flag to an Exposure.
func ExposureFromBool(internet bool) Exposure {
	if internet {
		return ExposureInternet
	}
	return ExposureInternal
}

// ControlEffect is what a declared control does to the decision's inputs.
type ControlEffect string

// Control effects. Each rewrites one input before the tables; none is a
// hidden discount.
const (
	// RemovesInternetExposure: a verified block of public reach (WAF, ACL,
	// virtual patch). Rewrites exposure internet → internal.
	RemovesInternetExposure ControlEffect = "removes_internet_exposure"
	// ReducesImpact: a verified sandbox or least-privilege confinement.
	// Rewrites technical impact total → partial.
	ReducesImpact ControlEffect = "reduces_impact"
	// RemovesPrecondition: the vulnerable feature is disabled or the
	// component unreachable. The finding goes to P4 "mitigated — recheck"
	// until the control expires.
	RemovesPrecondition ControlEffect = "removes_precondition"
	// DetectOnly: monitoring only; no rewrite, listed in the explanation.
	DetectOnly ControlEffect = "detect_only"
)

// ParseControlEffect reads a control effect, accepting the reference's
// spellings (exposure_removed, impact_reduced, precondition_removed) too.
func ParseControlEffect(s string) (ControlEffect, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "removes_internet_exposure", "exposure_removed", "removes_exposure":
		return RemovesInternetExposure, true
	case "reduces_impact", "impact_reduced":
		return ReducesImpact, true
	case "removes_precondition", "precondition_removed":
		return RemovesPrecondition, true
	case "detect_only", "detection_only":
		return DetectOnly, true
	}
	return "", false
}

// Validation states, as in the store.
const (
	ValidationExploitable = "exploitable"
	ValidationRefuted     = "refuted"
	ValidationUnknown     = "unknown"
)

// Exploit maturity values.
const (
	MaturityNone       = "none"
	MaturityPoC        = "poc"
	MaturityWeaponized = "weaponized"
)

// Input is everything one decision needs, each item with the source it came
// from and the date it was observed, so the explanation can cite them. Enum
// fields are plain strings as stored (e.g. SSVC "none|poc|active"); an
// unrecognized value is ignored and the explanation says so.
type Input struct {
	// AsOf is the decision time: controls whose ExpiresAt is not after it
	// are expired. The zero time treats every control as unexpired.
	AsOf time.Time

	Finding    Finding
	KEV        KEV
	EPSS       EPSS
	LEV        LEV
	SSVC       SSVC
	Exploit    Exploit
	InTheWild  InTheWild
	CVSS       CVSS
	Validation Validation
	Asset      Asset
	Controls   []Control
}

// Finding is the finding itself: its kind and normalized severity drive the
// defaults for findings without vulnerability intel (misconfigurations,
// secrets, code weaknesses…).
type Finding struct {
	Kind     string // model.FindingKind: vulnerability, secret, misconfiguration, …; "" = vulnerability
	Severity string // critical, high, medium, low, info
	VulnID   string // CVE or other id, for the explanation
	// Verified: the reporting tool confirmed the finding live (a verified
	// secret, a confirmed DAST exploit). Counts as exploitation evidence.
	Verified bool
	Source   string // tool(s) that reported it
	Date     time.Time
}

// KEV is the finding's CISA KEV catalog entry, if any.
type KEV struct {
	Listed     bool
	DateAdded  time.Time
	Ransomware bool // knownRansomwareCampaignUse == "Known"
	Source     string
	Date       time.Time // catalog date or when ctem observed it
}

// EPSS is the finding's EPSS score. Thresholds are looked up by Model.
type EPSS struct {
	Score      float64 // probability 0..1
	Percentile float64
	Model      string // model_version, e.g. v2025.03.14
	Date       time.Time
	Source     string
}

// LEV is NIST's Likely Exploited Vulnerabilities probability, if computed.
type LEV struct {
	Score  float64
	Date   time.Time
	Source string
}

// SSVC holds CISA's (ADP / Vulnrichment) SSVC decision points. Empty fields
// mean "not assessed"; the policy then derives them (and says so).
type SSVC struct {
	Exploitation    string // none | poc (public_poc) | active
	Automatable     string // yes | no
	TechnicalImpact string // partial | total
	Source          string
	Date            time.Time
}

// Exploit is what is known about public exploit code.
type Exploit struct {
	Maturity   string   // none | poc | weaponized (Metasploit module, Nuclei template, exploit kit)
	References []string // exploit references; non-empty without Maturity counts as poc
	Source     string
	Date       time.Time
}

// InTheWild is exploitation evidence from a trusted source other than KEV
// and CISA SSVC (e.g. a vendor advisory saying "exploited in the wild").
type InTheWild struct {
	Reported bool
	Source   string
	Date     time.Time
}

// CVSS is the vector the policy reads Automatable and Technical Impact from
// when CISA has not assessed them. Version is taken from the vector prefix
// when empty.
type CVSS struct {
	Version string
	Vector  string
	Score   float64
	Source  string // provider: CNA, NVD, CISA-ADP, or the scanner
	Date    time.Time
}

// Validation is the validation stage's verdict for this finding.
type Validation struct {
	State  string // exploitable | refuted | unknown ("" = unknown)
	Source string
	Date   time.Time
}

// Asset is the context of the asset the finding is on.
type Asset struct {
	Name              string
	Exposure          Exposure // "" = unknown, decided as internal
	ExposureSource    string   // evidence, e.g. "external-scan tcp/443"
	ExposureDate      time.Time
	Criticality       int // 1..5; 0 = not set (the policy's default, 3)
	CriticalitySource string
	CrownJewel        bool
	CrownJewelSource  string
	Scopes            []string // listed in the explanation only
}

// Control is a declared compensating control that applies to the finding.
// It is in force until ExpiresAt, the first instant it no longer applies
// (zero: never expires) — and, when the policy sets
// controls_require_verification, only once VerifiedAt is set.
type Control struct {
	ID         string
	Effect     string // a ControlEffect (or a reference spelling)
	Source     string // where it was declared, e.g. "ctem.yaml"
	Evidence   string
	VerifiedAt time.Time // when it was last verified (e.g. by a validation run)
	ExpiresAt  time.Time // first instant it no longer applies; zero = no expiry
}
