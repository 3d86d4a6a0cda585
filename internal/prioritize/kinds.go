package prioritize

import "strings"

// kindRule gives the defaults for a finding kind when vulnerability intel
// (CISA SSVC, a CVSS vector) is absent — which is always the case for
// misconfigurations, secrets and code weaknesses. Each is a severity rank
// (critical 5, high 4, medium 3, low 2, info 1, unknown 0) at or above which
// the property holds; never = 6. All three are monotone in severity.
type kindRule struct {
	name            string
	possibleFrom    int8 // threat at least Possible
	automatableFrom int8 // Automatable = yes
	totalFrom       int8 // Technical Impact = total
}

const never = 6

// kindRules is documented in docs/prioritization.md ("Findings without a
// CVE"). Index 0 is the default (vulnerability).
var kindRules = []kindRule{
	// Known-vulnerability findings: threat comes from intel only; without
	// SSVC or a CVSS vector, Automatable = no and TI = total only if critical.
	{"vulnerability", never, never, 5},
	// A leaked credential is usable by anyone who finds it, and harvesting
	// leaked keys is fully automated; a tool-verified (live) secret is
	// Active via Finding.Verified or validation.
	{"secret", 3, 0, 4},
	// Misconfigurations: high/critical ones (public bucket, open admin
	// console) are routinely found by mass scanning.
	{"misconfiguration", 4, never, 5},
	// An exposed service (RDP, telnet, a database port) is found and probed
	// by automated scanning.
	{"exposed_service", 4, 0, 5},
	// DAST findings: high/critical injection-class weaknesses are
	// automatable.
	{"web_weakness", 4, 4, 5},
	// Identity weaknesses (MFA missing on an admin, a stale privileged key):
	// high/critical ones give control over what the identity can do.
	{"identity_weakness", 4, never, 4},
	// SAST: reachability unproven; never more than the CVSS/severity says.
	{"code_weakness", never, never, 5},
}

func kindIndex(kind string) int8 {
	k := strings.ToLower(strings.TrimSpace(kind))
	for i, r := range kindRules {
		if r.name == k {
			return int8(i)
		}
	}
	return 0
}

func severityRank(s string) int8 {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return 5
	case "high":
		return 4
	case "medium", "moderate":
		return 3
	case "low":
		return 2
	case "info", "informational", "none":
		return 1
	}
	return 0
}
