package prioritize

import "strings"

// cvssPoints is what the policy reads from a CVSS vector when CISA has not
// assessed the SSVC points: the Automatable heuristic and the CERT/CC draft
// CVSS→Technical Impact mapping (reference §5.5).
type cvssPoints struct {
	ok          bool
	version     string // "2.0", "3.0", "3.1", "4.0"
	automatable bool   // AV:N ∧ AC:L ∧ PR:N ∧ UI:N (∧ AT:N in v4; Au:N in v2)
	total       bool   // technical impact total
}

// parseCVSS reads the metrics it needs from a vector without allocating.
// Unknown or missing metrics make the vector unusable (ok = false).
func parseCVSS(vector string) cvssPoints {
	v := strings.TrimSpace(vector)
	var p cvssPoints
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		p.version, v = "4.0", v[len("CVSS:4.0/"):]
	case strings.HasPrefix(v, "CVSS:3.1/"):
		p.version, v = "3.1", v[len("CVSS:3.1/"):]
	case strings.HasPrefix(v, "CVSS:3.0/"):
		p.version, v = "3.0", v[len("CVSS:3.0/"):]
	case strings.HasPrefix(v, "AV:"), strings.HasPrefix(v, "(AV:"):
		p.version = "2.0"
		v = strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
	default:
		return p
	}
	var av, ac, at, pr, ui, au, c, i byte
	for v != "" {
		var seg string
		if j := strings.IndexByte(v, '/'); j >= 0 {
			seg, v = v[:j], v[j+1:]
		} else {
			seg, v = v, ""
		}
		j := strings.IndexByte(seg, ':')
		if j <= 0 || j != len(seg)-2 {
			continue // multi-letter values are not among the metrics read here
		}
		val := seg[j+1]
		switch seg[:j] {
		case "AV":
			av = val
		case "AC":
			ac = val
		case "AT":
			at = val
		case "PR":
			pr = val
		case "UI":
			ui = val
		case "Au":
			au = val
		case "C", "VC":
			c = val
		case "I", "VI":
			i = val
		}
	}
	switch p.version {
	case "2.0":
		if av == 0 || ac == 0 || au == 0 || c == 0 || i == 0 {
			return cvssPoints{}
		}
		p.automatable = av == 'N' && ac == 'L' && au == 'N'
		p.total = c == 'C' && i == 'C'
	case "4.0":
		if av == 0 || ac == 0 || at == 0 || pr == 0 || ui == 0 || c == 0 || i == 0 {
			return cvssPoints{}
		}
		p.automatable = av == 'N' && ac == 'L' && at == 'N' && pr == 'N' && ui == 'N'
		p.total = cvssTotal(pr, c, i)
	default:
		if av == 0 || ac == 0 || pr == 0 || ui == 0 || c == 0 || i == 0 {
			return cvssPoints{}
		}
		p.automatable = av == 'N' && ac == 'L' && pr == 'N' && ui == 'N'
		p.total = cvssTotal(pr, c, i)
	}
	p.ok = true
	return p
}

// cvssTotal is CERT/CC's draft CVSS4_TO_TI, applied to C/I for v3: total if
// C:H ∧ I:H, or PR:N with (C:H, I:L) or (C:L, I:H).
func cvssTotal(pr, c, i byte) bool {
	if c == 'H' && i == 'H' {
		return true
	}
	return pr == 'N' && ((c == 'H' && i == 'L') || (c == 'L' && i == 'H'))
}
