// Package wizcli reads the JSON result of a wiz CLI scan, the layout the
// three wiz CLI formats (wizcli_dir, wizcli_iac, wizcli_img) share: the
// scanned origin, vulnerable libraries and OS packages, secrets and IaC rule
// matches. Each format tells the origins apart (DetectOrigin) and names the
// asset its own way; ParseScan does the rest.
package wizcli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Origin is the scanOriginResource of a wiz CLI scan: what was scanned.
type Origin struct {
	Typename string `json:"__typename"`
	Name     string `json:"name"`
	ID       string `json:"id"`
	Digest   string `json:"digest"`
}

type vulnerability struct {
	Name              string   `json:"name"`
	Severity          string   `json:"severity"`
	FixedVersion      string   `json:"fixedVersion"`
	Source            string   `json:"source"`
	Description       string   `json:"description"`
	Score             *float64 `json:"score"`
	HasExploit        bool     `json:"hasExploit"`
	HasCisaKevExploit bool     `json:"hasCisaKevExploit"`
	CVSSV3Metrics     any      `json:"cvssV3Metrics"`
	CVSSV2Metrics     any      `json:"cvssV2Metrics"`
}

type pkg struct {
	Name            string          `json:"name"`
	Version         string          `json:"version"`
	Path            string          `json:"path"`
	DetectionMethod string          `json:"detectionMethod"`
	Vulnerabilities []vulnerability `json:"vulnerabilities"`
}

type secret struct {
	ID          *string `json:"id"`
	ExternalID  *string `json:"externalId"`
	Description string  `json:"description"`
	Path        string  `json:"path"`
	LineNumber  int     `json:"lineNumber"`
	Type        string  `json:"type"`
	Snippet     *string `json:"snippet"`
}

type ruleMatch struct {
	Rule struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rule"`
	Severity string `json:"severity"`
	Matches  []struct {
		ResourceName            string  `json:"resourceName"`
		FileName                string  `json:"fileName"`
		LineNumber              int     `json:"lineNumber"`
		MatchContent            string  `json:"matchContent"`
		Expected                string  `json:"expected"`
		Found                   string  `json:"found"`
		FileType                string  `json:"fileType"`
		RemediationInstructions *string `json:"remediationInstructions"`
	} `json:"matches"`
}

// scan streams a wiz CLI JSON result. Observations wait in pending until
// the asset is known, which is at once in wiz CLI's own key order
// (scanOriginResource before result).
type scan struct {
	sink    report.Sink
	asset   *report.AssetRef
	makeRef func(Origin) report.AssetRef
	pending []report.Observation
	seen    map[string]bool
	hasScan bool
}

// ParseScan streams a wiz CLI JSON result to sink. makeRef names the asset
// from the scan's origin (an empty Origin when the result has none); every
// observation is on that asset.
func ParseScan(ctx context.Context, r io.Reader, sink report.Sink, makeRef func(Origin) report.AssetRef) error {
	s := &scan{sink: sink, makeRef: makeRef, seen: map[string]bool{}}
	js := report.NewJSONStream(r)
	err := js.Object(func(key string) error {
		switch key {
		case "scanOriginResource":
			var o Origin
			if err := js.Decode(&o); err != nil {
				return err
			}
			return s.setAsset(o)
		case "result":
			s.hasScan = true
			return js.Object(func(k string) error {
				switch k {
				case "libraries", "osPackages":
					return js.Array(func(i int) error {
						if err := ctx.Err(); err != nil {
							return err
						}
						var p pkg
						if err := js.Decode(&p); err != nil {
							return err
						}
						return s.pkg(&p, k == "osPackages")
					})
				case "secrets":
					return js.Array(func(i int) error {
						var sec secret
						if err := js.Decode(&sec); err != nil {
							return err
						}
						return s.secret(&sec)
					})
				case "ruleMatches":
					return js.Array(func(i int) error {
						if err := ctx.Err(); err != nil {
							return err
						}
						var m ruleMatch
						if err := js.Decode(&m); err != nil {
							return err
						}
						return s.ruleMatch(&m)
					})
				}
				return js.Skip()
			})
		}
		return js.Skip()
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !s.hasScan {
		return report.Errorf(js.Offset(), `expected a wiz CLI scan result with a "result" object`)
	}
	if s.asset == nil {
		if err := s.setAsset(Origin{}); err != nil {
			return err
		}
	}
	return nil
}

func (s *scan) setAsset(o Origin) error {
	if s.asset != nil {
		return nil
	}
	ref := s.makeRef(o)
	s.asset = &ref
	if err := s.sink.Asset(ref); err != nil {
		return err
	}
	for _, obs := range s.pending {
		obs.Asset = ref
		if err := s.sink.Observe(obs); err != nil {
			return err
		}
	}
	s.pending = nil
	return nil
}

func (s *scan) observe(o report.Observation, key string) error {
	if s.seen[key] {
		return nil
	}
	s.seen[key] = true
	if s.asset == nil {
		s.pending = append(s.pending, o)
		return nil
	}
	o.Asset = *s.asset
	return s.sink.Observe(o)
}

func severity(word string) model.Severity {
	return report.SeverityOr(word, model.SevInfo)
}

func (s *scan) pkg(p *pkg, osPackage bool) error {
	for _, v := range p.Vulnerabilities {
		f := model.Finding{
			Kind:        model.KindVulnerability,
			Title:       strings.TrimSpace(p.Name + " - " + v.Name),
			Description: report.Truncate(strings.TrimSpace(v.Description), 16<<10),
			Severity:    severity(v.Severity),
			Component: model.Component{
				Name:         p.Name,
				Version:      p.Version,
				FixedVersion: v.FixedVersion,
				Path:         p.Path,
			},
		}
		f.VulnID, f.Aliases = report.VulnIDs(v.Name)
		for _, m := range []any{v.CVSSV3Metrics, v.CVSSV2Metrics} {
			if vec := vectorOf(m); vec != "" {
				report.AddCVSS(&f, vec)
			}
		}
		if strings.HasPrefix(v.Source, "http") {
			f.References = []string{v.Source}
		}
		if !osPackage && p.Path != "" {
			// A library is found through a manifest or lock file.
			f.Location.File = p.Path
		}
		if v.FixedVersion != "" {
			f.Remediation = "Upgrade " + p.Name + " to " + v.FixedVersion + " or later."
		}
		var ev []string
		if v.HasCisaKevExploit {
			ev = append(ev, "CISA KEV: known exploited")
		} else if v.HasExploit {
			ev = append(ev, "public exploit available")
		}
		if v.Score != nil {
			ev = append(ev, fmt.Sprintf("score %.1f", *v.Score))
		}
		key := strings.Join([]string{"pkg", p.Name, p.Version, p.Path, v.Name}, "\x00")
		if err := s.observe(report.Observation{
			ToolID:       v.Name,
			ToolSeverity: v.Severity,
			Evidence:     strings.Join(ev, "; "),
			Finding:      f,
		}, key); err != nil {
			return err
		}
	}
	return nil
}

// vectorOf takes a CVSS vector from wiz's metrics object when it has one.
func vectorOf(m any) string {
	obj, ok := m.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range []string{"vectorString", "vector"} {
		if s, ok := obj[k].(string); ok {
			return s
		}
	}
	return ""
}

func anchor(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "sha256:" + hex.EncodeToString(h[:16])
}

func (s *scan) secret(sec *secret) error {
	desc := strings.TrimSpace(sec.Description)
	rule := strings.TrimSpace(sec.Type)
	if rule == "" {
		rule = "SECRET"
	}
	toolID := rule
	if sec.ID != nil && *sec.ID != "" {
		toolID = *sec.ID
	}
	snippet := ""
	if sec.Snippet != nil {
		snippet = *sec.Snippet
	}
	f := model.Finding{
		Kind:        model.KindSecret,
		Title:       "Secret: " + desc,
		Description: desc,
		// wiz CLI gives secrets no severity; an exposed credential is high.
		Severity: model.SevHigh,
		RuleID:   rule,
		Location: model.Location{File: sec.Path, Line: sec.LineNumber},
	}
	if desc == "" {
		f.Title = "Secret: " + rule
	}
	// wiz CLI redacts the value ("---REDACTED---"): no raw secret to hand
	// on; the anchor ties the finding to the redacted match instead.
	key := strings.Join([]string{"secret", rule, sec.Path, fmt.Sprint(sec.LineNumber), desc}, "\x00")
	return s.observe(report.Observation{
		ToolID:       toolID,
		ToolSeverity: "",
		Evidence:     report.Truncate(snippet, 4096),
		Anchor:       anchor(rule, desc, snippet),
		Finding:      f,
	}, key)
}

func (s *scan) ruleMatch(m *ruleMatch) error {
	for _, mt := range m.Matches {
		f := model.Finding{
			Kind:        model.KindMisconfiguration,
			Title:       strings.TrimSpace(m.Rule.Name),
			Description: strings.TrimSpace(mt.Expected),
			Severity:    severity(m.Severity),
			RuleID:      m.Rule.ID,
			Location:    model.Location{File: mt.FileName, Line: mt.LineNumber, Resource: mt.ResourceName},
		}
		if f.Title == "" {
			f.Title = m.Rule.ID
		}
		if mt.RemediationInstructions != nil {
			f.Remediation = report.Truncate(strings.TrimSpace(*mt.RemediationInstructions), 16<<10)
		}
		ev := strings.TrimSpace(mt.Found)
		if mt.MatchContent != "" {
			ev = strings.TrimSpace(ev + "\n" + mt.MatchContent)
		}
		key := strings.Join([]string{"iac", m.Rule.ID, mt.FileName, fmt.Sprint(mt.LineNumber), mt.ResourceName}, "\x00")
		if err := s.observe(report.Observation{
			ToolID:       m.Rule.ID,
			ToolSeverity: m.Severity,
			Evidence:     report.Truncate(ev, 4096),
			Anchor:       anchor(m.Rule.ID, mt.FileName, mt.ResourceName, strings.TrimSpace(mt.MatchContent)),
			Finding:      f,
		}, key); err != nil {
			return err
		}
	}
	return nil
}

// DetectOrigin returns the scanOriginResource type named in head
// ("CICDScanOriginContainerImage"...), and the result type
// ("CICDIACScanResult"...) for when the origin is not in view.
func DetectOrigin(head []byte) (originType, resultType string) {
	for _, m := range typenameRe.FindAllSubmatch(head, -1) {
		t := string(m[1])
		switch {
		case strings.HasPrefix(t, "CICDScanOrigin") && originType == "":
			originType = t
		case strings.HasPrefix(t, "CICD") && strings.HasSuffix(t, "ScanResult") && resultType == "":
			resultType = t
		}
	}
	return originType, resultType
}

var typenameRe = regexp.MustCompile(`"__typename"\s*:\s*"([A-Za-z]+)"`)
