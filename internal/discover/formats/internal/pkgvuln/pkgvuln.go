// Package pkgvuln holds the rules the formats that report vulnerable
// packages share, so that they rate, clean and name a vulnerable package
// alike: the severity of a vulnerability (Trivy, Grype), the scrubbing of
// text that package metadata fills in (Trivy, Grype), and an OS package's
// version (AWS Inspector, Security Hub).
package pkgvuln

import (
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Severity is the scanner's severity word when it is one ctem knows, else
// the rating of the highest CVSS score, else info.
func Severity(word string, cvss []model.CVSS) model.Severity {
	if s, ok := report.Severity(word); ok {
		return s
	}
	best := 0.0
	for _, c := range cvss {
		best = max(best, c.Score)
	}
	if best > 0 {
		return report.SeverityFromScore(best)
	}
	return model.SevInfo
}

// Scrub removes NUL bytes, which some package metadata carries (Grype and
// DefectDojo have met "17.0.10+7\x00-J-ms8m") and which text columns and
// most consumers reject, from the observation's text fields.
func Scrub(o *report.Observation) {
	for _, s := range []*string{
		&o.ToolID, &o.ToolSeverity, &o.Evidence, &o.Anchor,
		&o.Finding.Title, &o.Finding.Description, &o.Finding.RuleID, &o.Finding.Remediation,
		&o.Finding.Component.Name, &o.Finding.Component.Version, &o.Finding.Component.FixedVersion,
		&o.Finding.Component.PURL, &o.Finding.Component.Path,
		&o.Finding.Location.File, &o.Finding.Location.Resource,
	} {
		if strings.IndexByte(*s, 0) >= 0 {
			*s = strings.ReplaceAll(*s, "\x00", "")
		}
	}
	for i, r := range o.Finding.References {
		if strings.IndexByte(r, 0) >= 0 {
			o.Finding.References[i] = strings.ReplaceAll(r, "\x00", "")
		}
	}
}

// Version joins an RPM/DEB style epoch, version and release the way
// package managers print them ("1:2.3-4.el8"), so the version matches
// other scanners'; a zero epoch is left out.
func Version(epoch, version, release string) string {
	v := version
	if release != "" && version != "" {
		v += "-" + release
	}
	if epoch != "" && epoch != "0" && v != "" {
		v = epoch + ":" + v
	}
	return v
}
