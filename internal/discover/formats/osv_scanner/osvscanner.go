// Package osvscanner parses OSV-Scanner's JSON output (`osv-scanner
// --format json`): results per scanned source (lockfile, SBOM, git
// directory), each listing vulnerable packages with full OSV records and
// the groups of records that describe the same vulnerability.
package osvscanner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/versioncmp"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the OSV-Scanner format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "osv_scanner" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "OSV-Scanner JSON report" }

var resultsKey = regexp.MustCompile(`"results"\s*:\s*\[`)

// Detect wants results whose entries have a source and packages with
// ecosystems: OSV-Scanner's own nesting.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	if resultsKey.Match(h) && has("source") && has("packages") && has("package") && has("ecosystem") {
		return 85
	}
	if resultsKey.Match(h) && has("experimental_config") {
		return 60
	}
	return 0
}

type source struct {
	Path string `json:"path"`
	Type string `json:"type"`
}

type osvRecord struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Severity []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
			PURL      string `json:"purl"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Repo   string              `json:"repo"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		DatabaseSpecific struct {
			CWEs []struct {
				CWEID string `json:"cweId"`
			} `json:"cwes"`
		} `json:"database_specific"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		Severity string   `json:"severity"`
		CWEIDs   []string `json:"cwe_ids"`
	} `json:"database_specific"`
}

type pkg struct {
	Package struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Ecosystem string `json:"ecosystem"`
		Commit    string `json:"commit"`
	} `json:"package"`
	Vulnerabilities []osvRecord `json:"vulnerabilities"`
	Groups          []struct {
		IDs         []string `json:"ids"`
		Aliases     []string `json:"aliases"`
		MaxSeverity string   `json:"max_severity"`
	} `json:"groups"`
}

var asset = report.AssetRef{Kind: model.AssetRepository}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	p := &parser{ctx: ctx, sink: sink}
	found := false
	err := s.Object(func(key string) error {
		if key != "results" {
			return s.Skip()
		}
		found = true
		return s.Array(func(i int) error { return p.result(s) })
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if !found {
		return report.Errorf(s.Offset(), "expected an OSV-Scanner report with results")
	}
	return p.announce()
}

type parser struct {
	ctx       context.Context
	sink      report.Sink
	announced bool
	n         int
}

func (p *parser) announce() error {
	if p.announced {
		return nil
	}
	p.announced = true
	return p.sink.Asset(asset)
}

// result reads one source's packages, each decoded whole (a package and its
// OSV records are small); packages seen before their source are held.
func (p *parser) result(s *report.JSONStream) error {
	var src *source
	var pending []pkg
	err := s.Object(func(key string) error {
		switch key {
		case "source":
			src = &source{}
			return s.Decode(src)
		case "packages":
			return s.Array(func(int) error {
				p.n++
				if p.n%64 == 0 {
					if err := p.ctx.Err(); err != nil {
						return err
					}
				}
				var pk pkg
				if err := s.Decode(&pk); err != nil {
					return err
				}
				if src == nil {
					pending = append(pending, pk)
					return nil
				}
				return p.pkg(*src, pk)
			})
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	if src == nil {
		src = &source{}
	}
	for _, pk := range pending {
		if err := p.pkg(*src, pk); err != nil {
			return err
		}
	}
	return nil
}

// pkg emits one observation per vulnerability group: OSV-Scanner groups
// the records of one vulnerability from several databases (GHSA-x and
// PYSEC-y for the same CVE), and counts it once. Without groups (older
// versions), records sharing an id or alias are grouped here.
func (p *parser) pkg(src source, pk pkg) error {
	byID := map[string]*osvRecord{}
	for i := range pk.Vulnerabilities {
		byID[pk.Vulnerabilities[i].ID] = &pk.Vulnerabilities[i]
	}
	type group struct {
		ids, aliases []string
		maxSeverity  string
	}
	var groups []group
	used := map[string]bool{}
	for _, g := range pk.Groups {
		groups = append(groups, group{ids: g.IDs, aliases: g.Aliases, maxSeverity: g.MaxSeverity})
		for _, id := range g.IDs {
			used[id] = true
		}
	}
	// Records no group names: group them by shared ids or aliases.
	for _, v := range pk.Vulnerabilities {
		if used[v.ID] {
			continue
		}
		names := append([]string{v.ID}, v.Aliases...)
		merged := false
		for gi := range groups {
			if overlaps(groups[gi].aliases, names) {
				groups[gi].ids = append(groups[gi].ids, v.ID)
				groups[gi].aliases = append(groups[gi].aliases, names...)
				merged = true
				break
			}
		}
		if !merged {
			groups = append(groups, group{ids: []string{v.ID}, aliases: names})
		}
		used[v.ID] = true
	}
	for _, g := range groups {
		var members []*osvRecord
		for _, id := range g.ids {
			if v := byID[id]; v != nil {
				members = append(members, v)
			}
		}
		if len(members) == 0 {
			continue
		}
		if err := p.announce(); err != nil {
			return err
		}
		if err := p.sink.Observe(observe(src, pk, g.ids, g.aliases, g.maxSeverity, members)); err != nil {
			return err
		}
	}
	return nil
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func observe(src source, pk pkg, ids, aliases []string, maxSev string, members []*osvRecord) report.Observation {
	all := append([]string{}, ids...)
	all = append(all, aliases...)
	for _, m := range members {
		all = append(all, m.Aliases...)
	}
	first := members[0]
	f := model.Finding{
		Kind:  model.KindVulnerability,
		Title: first.ID,
		Component: model.Component{
			Name:      pk.Package.Name,
			Version:   pk.Package.Version,
			Ecosystem: pk.Package.Ecosystem,
			Path:      src.Path,
		},
	}
	f.VulnID, f.Aliases = report.VulnIDs(all...)
	if f.Component.Version == "" && pk.Package.Commit != "" {
		f.Component.Version = pk.Package.Commit
	}
	toolSev := ""
	var sev model.Severity
	for _, m := range members {
		if f.Description == "" && strings.TrimSpace(m.Details) != "" {
			f.Description = report.Truncate(strings.TrimSpace(m.Details), 8192)
		}
		if f.Title == first.ID && m.Summary != "" {
			f.Title = strings.TrimSpace(m.Summary)
		}
		if s, ok := report.Severity(m.DatabaseSpecific.Severity); ok && s.Rank() > sev.Rank() {
			sev, toolSev = s, m.DatabaseSpecific.Severity
		}
		for _, sv := range m.Severity {
			if strings.HasPrefix(sv.Type, "CVSS") {
				report.AddCVSS(&f, sv.Score)
			}
		}
		for _, c := range m.DatabaseSpecific.CWEIDs {
			report.AddCWE(&f, c)
		}
		for _, a := range m.Affected {
			for _, c := range a.DatabaseSpecific.CWEs {
				report.AddCWE(&f, c.CWEID)
			}
			if f.Component.PURL == "" && a.Package.PURL != "" && pk.Package.Version != "" && a.Package.Name == pk.Package.Name {
				f.Component.PURL = withVersion(a.Package.PURL, pk.Package.Version)
			}
		}
		for _, ref := range m.References {
			if ref.URL != "" && !slices.Contains(f.References, ref.URL) && len(f.References) < 30 {
				f.References = append(f.References, ref.URL)
			}
		}
	}
	if sev == "" && maxSev != "" {
		if score, err := strconv.ParseFloat(maxSev, 64); err == nil {
			sev, toolSev = report.SeverityFromScore(score), maxSev
		}
	}
	if sev == "" {
		for _, c := range f.CVSS {
			if s := report.SeverityFromScore(c.Score); s.Rank() > sev.Rank() {
				sev = s
			}
		}
	}
	if sev == "" {
		sev = model.SevMedium
		for _, id := range ids {
			// Malicious package records (OpenSSF malicious-packages) mean the
			// machine that installed it is compromised.
			if strings.HasPrefix(id, "MAL-") {
				sev = model.SevCritical
			}
		}
	}
	f.Severity = sev
	fixes := fixedVersions(pk, members)
	f.Component.FixedVersion = lowestAbove(fixes, pk.Package.Version)
	if len(fixes) > 0 {
		f.Remediation = "Upgrade to a fixed version: " + strings.Join(fixes, ", ") + "."
	}
	ev := fmt.Sprintf("records: %s; source: %s (%s)", strings.Join(ids, ", "), src.Path, src.Type)
	return report.Observation{
		Asset:        asset,
		ToolID:       ids[0],
		ToolSeverity: toolSev,
		Evidence:     ev,
		Finding:      f,
	}
}

// fixedVersions lists the "fixed" events of the records' ranges for this
// package, in order, once each; git ranges give commit URLs.
func fixedVersions(pk pkg, members []*osvRecord) []string {
	var out []string
	for _, m := range members {
		for _, a := range m.Affected {
			if a.Package.Name != "" && pk.Package.Name != "" && a.Package.Name != pk.Package.Name {
				continue
			}
			for _, rg := range a.Ranges {
				for _, ev := range rg.Events {
					v := ev["fixed"]
					if v == "" {
						continue
					}
					if rg.Type == "GIT" && rg.Repo != "" {
						v = strings.TrimSuffix(rg.Repo, ".git") + "/commit/" + v
					}
					if !slices.Contains(out, v) {
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// lowestAbove picks the lowest fixed version above the installed one, by a
// plain numeric comparison of version segments (good enough to choose among
// the branches' fixes of one advisory).
func lowestAbove(fixes []string, installed string) string {
	best := ""
	for _, v := range fixes {
		if strings.Contains(v, "/") {
			continue
		}
		if installed != "" && versioncmp.Compare(v, installed) <= 0 {
			continue
		}
		if best == "" || versioncmp.Compare(v, best) < 0 {
			best = v
		}
	}
	return best
}

// withVersion adds the installed version to an OSV package URL.
func withVersion(purl, version string) string {
	u, err := packageurl.FromString(purl)
	if err != nil {
		return ""
	}
	u.Version = version
	return u.ToString()
}
