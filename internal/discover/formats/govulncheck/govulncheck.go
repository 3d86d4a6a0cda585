// Package govulncheck parses govulncheck's JSON output: the stream of
// message objects (config, progress, SBOM, osv, finding) of govulncheck 1.0
// and later, also when wrapped in a JSON array, and the single object
// (Calls, Imports, Requires, Vulns, Modules) of the pre-1.0 releases.
package govulncheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/versioncmp"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the govulncheck format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string { return "govulncheck" }
func (format) Version() int { return 1 }
func (format) Description() string {
	return "govulncheck JSON (message stream of v1+, and the pre-1.0 object)"
}

var (
	firstKey    = regexp.MustCompile(`^[\s\x{feff}]*\[?\s*\{\s*"([^"]*)"`)
	scannerName = regexp.MustCompile(`"scanner_name"\s*:\s*"govulncheck"`)
	legacyKeys  = regexp.MustCompile(`"(Calls|Imports|Requires)"\s*:\s*\{`)
)

// Detect: v1+ output starts with a config message naming govulncheck as the
// scanner; pre-1.0 output is an object of Calls/Imports/Requires graphs.
// govulncheck's SARIF output is SARIF, left to the SARIF format.
func (format) Detect(head []byte) int {
	m := firstKey.FindSubmatch(head)
	if m == nil {
		return 0
	}
	switch string(m[1]) {
	case "config", "progress", "SBOM", "osv", "finding":
		if scannerName.Match(head) {
			return 95
		}
		if bytes.Contains(head, []byte(`"finding"`)) && bytes.Contains(head, []byte(`"trace"`)) {
			return 70
		}
	case "Calls", "Imports", "Requires", "Vulns", "Modules":
		if len(legacyKeys.FindAll(head, -1)) >= 1 && (bytes.Contains(head, []byte(`"CallSites"`)) || bytes.Contains(head, []byte(`"ImportedBy"`)) || bytes.Contains(head, []byte(`"RequiredBy"`))) {
			return 80
		}
	}
	return 0
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 4096)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	p := &parser{ctx: ctx, sink: sink, osv: map[string]*osvEntry{}, groups: map[string]*group{}}
	switch first {
	case '[':
		s := report.NewJSONStream(br)
		if err := s.Array(func(i int) error {
			off := s.Offset()
			var m message
			if err := s.Decode(&m); err != nil {
				return err
			}
			return p.message(i, off, m)
		}); err != nil {
			return err
		}
		if err := s.End(); err != nil {
			return err
		}
	case '{':
		head, _ := br.Peek(4096)
		key := ""
		if m := firstKey.FindSubmatch(head); m != nil {
			key = string(m[1])
		}
		switch key {
		case "Calls", "Imports", "Requires", "Vulns", "Modules":
			if err := p.legacy(br); err != nil {
				return err
			}
		case "runs", "$schema", "version":
			return report.Errorf(0, "this is SARIF output (govulncheck -format sarif); import it with the SARIF format, or run govulncheck -json")
		default:
			if err := p.stream(br); err != nil {
				return err
			}
		}
	default:
		return report.Errorf(0, "expected govulncheck JSON (an object or an array), found %q", first)
	}
	if p.messages == 0 {
		return report.Errorf(0, "expected govulncheck messages (config, osv, finding)")
	}
	return p.emit()
}

// firstByte returns the first byte that is not white space or a BOM.
func firstByte(br *bufio.Reader) (byte, error) {
	for off := int64(0); ; off++ {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, report.Errorf(off, "empty input: expected govulncheck JSON")
			}
			return 0, report.AtOffset(off, err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
		case 0xEF:
			bom, _ := br.Peek(3)
			if bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				_, _ = br.Discard(3)
				continue
			}
			return b[0], nil
		default:
			return b[0], nil
		}
	}
}

// message is one object of the v1+ stream.
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		GoVersion      string `json:"go_version"`
		ScanLevel      string `json:"scan_level"`
	} `json:"config"`
	Progress *json.RawMessage `json:"progress"`
	SBOM     *struct {
		Modules []struct {
			Path    string `json:"path"`
			Version string `json:"version"`
		} `json:"modules"`
	} `json:"SBOM"`
	OSV     *osvRecord `json:"osv"`
	Finding *struct {
		OSV          string      `json:"osv"`
		FixedVersion string      `json:"fixed_version"`
		Trace        []traceItem `json:"trace"`
	} `json:"finding"`
}

type traceItem struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
	} `json:"position"`
}

type osvRecord struct {
	ID         string          `json:"id"`
	Aliases    []string        `json:"aliases"`
	Summary    string          `json:"summary"`
	Details    string          `json:"details"`
	Severity   json.RawMessage `json:"severity"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		EcosystemSpecific struct {
			Imports []struct {
				Path    string   `json:"path"`
				Symbols []string `json:"symbols"`
			} `json:"imports"`
		} `json:"ecosystem_specific"`
		DatabaseSpecific struct {
			URL string `json:"url"`
		} `json:"database_specific"`
	} `json:"affected"`
	DatabaseSpecific struct {
		URL string `json:"url"`
	} `json:"database_specific"`
}

// osvEntry is what is kept of an OSV record until the end of the stream.
type osvEntry struct {
	id, summary, details, customSeverity string
	aliases, refs, cvss                  []string
}

// group is one vulnerability in one module, however many call paths reach
// it: govulncheck prints a finding per path (and per level), and counts a
// vulnerability once per module.
type group struct {
	osv, module, version, fixed string
	level                       int // 1 module, 2 package, 3 symbol
	traces                      []string
	ntraces                     int
}

type parser struct {
	ctx      context.Context
	sink     report.Sink
	messages int
	osv      map[string]*osvEntry
	groups   map[string]*group
	order    []string
	main     string // the scanned module
	config   string
}

func (p *parser) tick() error {
	p.messages++
	if p.messages%256 == 0 {
		return p.ctx.Err()
	}
	return nil
}

// stream reads concatenated message objects (govulncheck -json).
func (p *parser) stream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for i := 0; dec.More(); i++ {
		off := dec.InputOffset()
		var m message
		if err := dec.Decode(&m); err != nil {
			return jsonx.Error(dec, err)
		}
		if err := p.message(i, off, m); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return report.Errorf(dec.InputOffset(), "expected a govulncheck message object")
		}
		return jsonx.Error(dec, err)
	}
	return nil
}

func (p *parser) message(i int, off int64, m message) error {
	if err := p.tick(); err != nil {
		return err
	}
	switch {
	case m.Config != nil:
		c := m.Config
		p.config = fmt.Sprintf("govulncheck %s, %s, scan level %s", c.ScannerVersion, c.GoVersion, c.ScanLevel)
	case m.SBOM != nil:
		// The main module comes first and has no version.
		for _, mod := range m.SBOM.Modules {
			if mod.Version == "" && mod.Path != "stdlib" {
				p.main = mod.Path
				break
			}
		}
	case m.OSV != nil:
		p.addOSV(m.OSV)
	case m.Finding != nil:
		f := m.Finding
		if f.OSV == "" {
			return report.Errorf(off, "message %d: finding without an osv id", i)
		}
		var sink traceItem
		if len(f.Trace) > 0 {
			sink = f.Trace[0]
		}
		level := 1
		if sink.Function != "" {
			level = 3
		} else if sink.Package != "" {
			level = 2
		}
		p.addFinding(f.OSV, sink.Module, sink.Version, f.FixedVersion, level, trace(f.Trace))
	case m.Progress != nil:
	default:
		return report.Errorf(off, "message %d: expected a govulncheck message (config, progress, SBOM, osv or finding)", i)
	}
	return nil
}

func (p *parser) addOSV(o *osvRecord) {
	e := &osvEntry{id: o.ID, summary: strings.TrimSpace(o.Summary), details: report.Truncate(strings.TrimSpace(o.Details), 4096), aliases: o.Aliases}
	// The Go vulnerability database has no severities; some pipelines add a
	// word ("High") to the record, which is honoured. OSV-style entries give
	// CVSS vectors.
	var word string
	if json.Unmarshal(o.Severity, &word) == nil {
		e.customSeverity = word
	} else {
		var list []struct {
			Type  string `json:"type"`
			Score string `json:"score"`
		}
		if json.Unmarshal(o.Severity, &list) == nil {
			for _, s := range list {
				e.cvss = append(e.cvss, s.Score)
			}
		}
	}
	for _, ref := range o.References {
		if ref.URL != "" && len(e.refs) < 20 {
			e.refs = append(e.refs, ref.URL)
		}
	}
	if u := o.DatabaseSpecific.URL; u != "" {
		e.refs = append(e.refs, u)
	} else if len(o.Affected) > 0 && o.Affected[0].DatabaseSpecific.URL != "" {
		e.refs = append(e.refs, o.Affected[0].DatabaseSpecific.URL)
	}
	p.osv[o.ID] = e
}

func (p *parser) addFinding(osv, module, version, fixed string, level int, tr string) {
	key := osv + "\x00" + module
	g := p.groups[key]
	if g == nil {
		g = &group{osv: osv, module: module, version: version, fixed: fixed, level: level}
		p.groups[key] = g
		p.order = append(p.order, key)
	}
	if level > g.level {
		g.level = level
	}
	if g.version == "" {
		g.version = version
	}
	if g.fixed == "" {
		g.fixed = fixed
	}
	if tr != "" {
		g.ntraces++
		if len(g.traces) < 3 {
			g.traces = append(g.traces, tr)
		}
	}
}

// trace renders a call path from the user's code to the vulnerable symbol.
func trace(items []traceItem) string {
	if len(items) < 2 && (len(items) == 0 || items[0].Function == "") {
		return ""
	}
	var parts []string
	for k := len(items) - 1; k >= 0; k-- {
		it := items[k]
		s := it.Package
		if it.Function != "" {
			fn := it.Function
			if it.Receiver != "" {
				fn = it.Receiver + "." + fn
			}
			s += "." + fn
		}
		if it.Position != nil && it.Position.Filename != "" {
			s += fmt.Sprintf(" (%s:%d)", it.Position.Filename, it.Position.Line)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " -> ")
}

var levelNames = map[int]string{1: "module", 2: "package", 3: "symbol"}

// levelSeverity ranks by reachability, as the Go vulnerability database
// gives no severity: a called vulnerable symbol is high, an imported
// vulnerable package low, a required module whose vulnerable code is never
// imported informational.
var levelSeverity = map[int]model.Severity{1: model.SevInfo, 2: model.SevLow, 3: model.SevHigh}

func (p *parser) emit() error {
	asset := report.AssetRef{Kind: model.AssetRepository, Name: p.main}
	if p.main != "" {
		asset.Identifiers = []model.Identifier{{Kind: model.IDName, Value: p.main}}
	}
	if err := p.sink.Asset(asset); err != nil {
		return err
	}
	for _, key := range p.order {
		g := p.groups[key]
		e := p.osv[g.osv]
		if e == nil {
			e = &osvEntry{id: g.osv}
		}
		ids := append([]string{g.osv}, e.aliases...)
		f := model.Finding{
			Kind:        model.KindVulnerability,
			Title:       e.summary,
			Description: e.details,
			Severity:    levelSeverity[g.level],
			References:  e.refs,
			Component: model.Component{
				Name:         g.module,
				Version:      g.version,
				FixedVersion: g.fixed,
				Ecosystem:    "Go",
			},
		}
		if f.Title == "" {
			f.Title = g.osv + " in " + g.module
		}
		f.VulnID, f.Aliases = report.VulnIDs(ids...)
		if g.module != "" && g.version != "" {
			// The module path's last element is the name, the rest the
			// namespace: pkg:golang/golang.org/x/net@v0.25.0.
			ns, name := "", g.module
			if i := strings.LastIndexByte(g.module, '/'); i > 0 {
				ns, name = g.module[:i], g.module[i+1:]
			}
			f.Component.PURL = packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, g.version, nil, "").ToString()
		}
		tool := ""
		if s, ok := report.Severity(e.customSeverity); ok {
			f.Severity, tool = s, e.customSeverity
		}
		for _, v := range e.cvss {
			report.AddCVSS(&f, v)
		}
		if g.fixed != "" {
			f.Remediation = fmt.Sprintf("Upgrade %s to %s or later.", g.module, g.fixed)
		} else {
			f.Remediation = "No fixed version is known."
		}
		ev := []string{fmt.Sprintf("reachability: %s", levelNames[g.level])}
		if g.ntraces > 0 {
			ev = append(ev, fmt.Sprintf("call paths: %d", g.ntraces))
			ev = append(ev, g.traces...)
		}
		if p.config != "" {
			ev = append(ev, p.config)
		}
		if err := p.sink.Observe(report.Observation{
			Asset:        asset,
			ToolID:       g.osv,
			ToolSeverity: tool,
			Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
			Finding:      f,
		}); err != nil {
			return err
		}
	}
	return nil
}

// legacy reads the pre-1.0 object. Its call, import and require graphs are
// skipped except the required modules' versions; Vulns lists one entry per
// vulnerable symbol reached.
func (p *parser) legacy(r io.Reader) error {
	s := report.NewJSONStream(r)
	versions := map[string]string{} // Requires.Modules id -> version
	paths := map[string]string{}    // id -> module path
	type legacyVuln struct {
		OSV         *osvRecord `json:"OSV"`
		Symbol      string     `json:"Symbol"`
		PkgPath     string     `json:"PkgPath"`
		ModPath     string     `json:"ModPath"`
		CallSink    int        `json:"CallSink"`
		ImportSink  int        `json:"ImportSink"`
		RequireSink int        `json:"RequireSink"`
	}
	var vulns []legacyVuln
	err := s.Object(func(key string) error {
		p.messages++
		switch key {
		case "Requires":
			return s.Object(func(k string) error {
				if k != "Modules" {
					return s.Skip()
				}
				var mods map[string]struct {
					Path    string `json:"Path"`
					Version string `json:"Version"`
				}
				if err := s.Decode(&mods); err != nil {
					return err
				}
				for id, m := range mods {
					versions[id], paths[id] = m.Version, m.Path
				}
				return nil
			})
		case "Vulns":
			return s.Array(func(i int) error {
				if err := p.tick(); err != nil {
					return err
				}
				off := s.Offset()
				var v legacyVuln
				if err := s.Decode(&v); err != nil {
					return err
				}
				if v.OSV == nil || v.OSV.ID == "" {
					return report.Errorf(off, "Vulns[%d]: expected an OSV record", i)
				}
				vulns = append(vulns, v)
				return nil
			})
		case "Modules":
			var mods []struct {
				Path    string `json:"Path"`
				Version string `json:"Version"`
			}
			if err := s.Decode(&mods); err != nil {
				return err
			}
			for _, m := range mods {
				if m.Version == "" && m.Path != "stdlib" && p.main == "" {
					p.main = m.Path
				}
				if m.Version != "" {
					versions["path:"+m.Path] = m.Version
				}
			}
			return nil
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	for _, v := range vulns {
		if p.osv[v.OSV.ID] == nil {
			p.addOSV(v.OSV)
		}
		level := 1
		if v.CallSink != 0 {
			level = 3
		} else if v.ImportSink != 0 {
			level = 2
		}
		version := versions[fmt.Sprint(v.RequireSink)]
		if version == "" {
			version = versions["path:"+v.ModPath]
		}
		tr := ""
		if v.Symbol != "" {
			tr = v.PkgPath + "." + v.Symbol
		}
		p.addFinding(v.OSV.ID, v.ModPath, version, fixedFor(v.OSV, v.ModPath, version), level, tr)
	}
	return nil
}

// fixedFor finds, in the OSV ranges of pre-1.0 output (which has no
// fixed_version), the lowest fix above the installed version. OSV writes Go
// versions without the "v" that module versions carry.
func fixedFor(o *osvRecord, module, installed string) string {
	inst := strings.TrimPrefix(installed, "v")
	best := ""
	for _, a := range o.Affected {
		if a.Package.Name != module {
			continue
		}
		for _, rg := range a.Ranges {
			for _, ev := range rg.Events {
				v := ev["fixed"]
				if v == "" || (inst != "" && versioncmp.Compare(v, inst) <= 0) {
					continue
				}
				if best == "" || versioncmp.Compare(v, best) < 0 {
					best = v
				}
			}
		}
	}
	if best != "" && strings.HasPrefix(installed, "v") {
		best = "v" + best
	}
	return best
}
