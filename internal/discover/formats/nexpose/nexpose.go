// Package nexpose parses Rapid7 Nexpose / InsightVM "XML Export 2.0"
// reports: one host asset per <node>, one vulnerability observation per
// vulnerable test on that host (and service port), and one exposed-service
// observation per open port.
package nexpose

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the Nexpose XML 2.0 parser.
type Format struct{}

// New returns the Nexpose format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "nexpose" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string { return "Rapid7 Nexpose / InsightVM XML Export 2.0 report" }

// Detect looks at the root element: <NexposeReport version="2.0">.
func (Format) Detect(head []byte) int {
	if !bytes.Contains(head, []byte("NexposeReport")) {
		return 0 // cheap refusal: detection runs every format on every file
	}
	name, attrs := xmlx.RootElement(head)
	if name != "NexposeReport" {
		return 0
	}
	for _, a := range attrs {
		if a.Name.Local == "version" && strings.HasPrefix(a.Value, "2.") {
			return 100
		}
	}
	// The 1.0 "simple" export shares the root but not the layout; a missing
	// version is still most likely ours.
	return 60
}

// vulnerableStatuses are the test results Nexpose counts as findings;
// "not-vulnerable", "skipped-*" and "error" results are not.
var vulnerableStatuses = map[string]bool{
	"vulnerable-exploited": true,
	"vulnerable-version":   true,
	"vulnerable-potential": true,
}

type xOS struct {
	Certainty string `xml:"certainty,attr"`
	Vendor    string `xml:"vendor,attr"`
	Family    string `xml:"family,attr"`
	Product   string `xml:"product,attr"`
	Version   string `xml:"version,attr"`
}

type xTest struct {
	ID     string   `xml:"id,attr"`
	Key    string   `xml:"key,attr"`
	Status string   `xml:"status,attr"`
	Text   htmlText `xml:",any"`
}

type xService struct {
	Name  string  `xml:"name,attr"`
	Tests []xTest `xml:"tests>test"`
}

type xEndpoint struct {
	Protocol string     `xml:"protocol,attr"`
	Port     string     `xml:"port,attr"`
	Status   string     `xml:"status,attr"`
	Services []xService `xml:"services>service"`
}

type xNode struct {
	Address   string      `xml:"address,attr"`
	Status    string      `xml:"status,attr"`
	Hardware  string      `xml:"hardware-address,attr"`
	Names     []string    `xml:"names>name"`
	OS        []xOS       `xml:"fingerprints>os"`
	Tests     []xTest     `xml:"tests>test"`
	Endpoints []xEndpoint `xml:"endpoints>endpoint"`
}

type xReference struct {
	Source string `xml:"source,attr"`
	Value  string `xml:",chardata"`
}

type xVuln struct {
	ID          string       `xml:"id,attr"`
	Title       string       `xml:"title,attr"`
	Severity    string       `xml:"severity,attr"`
	CVSSVector  string       `xml:"cvssVector,attr"`
	CVSS3Vector string       `xml:"cvssV3Vector,attr"`
	Description htmlText     `xml:"description"`
	Solution    htmlText     `xml:"solution"`
	References  []xReference `xml:"references>reference"`
}

// pending is one vulnerable test waiting for its definition: Nexpose writes
// the nodes before <VulnerabilityDefinitions>, so the titles, severities and
// CVEs are only known at the end of the file.
type pending struct {
	host     int // index into hosts
	testID   string
	port     int
	protocol string
	service  string
	evidence string
}

type parser struct {
	sink  report.Sink
	hosts []report.AssetRef
	tests []pending
	seen  map[string]bool // host|test|port|protocol already recorded
	defs  map[string]*xVuln
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	p := &parser{sink: sink, seen: map[string]bool{}, defs: map[string]*xVuln{}}
	root := false
	depth := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlx.TruncatedError(dec, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if !root {
				if t.Name.Local != "NexposeReport" {
					return xmlx.Errorf(dec, "expected a <NexposeReport> root element, found <%s>", t.Name.Local)
				}
				root = true
				continue
			}
			switch {
			case t.Name.Local == "node" && depth == 3:
				var n xNode
				if err := dec.DecodeElement(&n, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				depth--
				if err := p.node(&n); err != nil {
					return err
				}
			case t.Name.Local == "vulnerability" && depth == 3:
				var v xVuln
				if err := dec.DecodeElement(&v, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				depth--
				id := strings.ToLower(v.ID)
				if _, ok := p.defs[id]; !ok {
					p.defs[id] = &v
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if !root {
		return report.AtLine(1, 1, errors.New("empty input: expected a Nexpose XML report"))
	}
	return p.flush(ctx)
}

func (p *parser) node(n *xNode) error {
	ref, ok := hostRef(n)
	if !ok {
		return nil
	}
	if err := p.sink.Asset(ref); err != nil {
		return err
	}
	p.hosts = append(p.hosts, ref)
	h := len(p.hosts) - 1
	for _, t := range n.Tests {
		p.add(h, t, 0, "", "")
	}
	for _, ep := range n.Endpoints {
		port, _ := strconv.Atoi(strings.TrimSpace(ep.Port))
		proto := strings.ToLower(strings.TrimSpace(ep.Protocol))
		service := ""
		for _, s := range ep.Services {
			if service == "" && s.Name != "" && s.Name != "<unknown>" {
				service = strings.ToLower(s.Name)
			}
		}
		for _, s := range ep.Services {
			for _, t := range s.Tests {
				p.add(h, t, port, proto, service)
			}
		}
		if strings.EqualFold(ep.Status, "open") && port > 0 {
			if err := p.openPort(ref, port, proto, service); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) add(h int, t xTest, port int, proto, service string) {
	if !vulnerableStatuses[strings.ToLower(t.Status)] || t.ID == "" {
		return
	}
	id := strings.ToLower(t.ID)
	key := fmt.Sprintf("%d|%s|%d|%s", h, id, port, proto)
	ev := strings.TrimSpace(string(t.Text))
	if t.Key != "" {
		ev = strings.TrimSpace("[" + t.Key + "] " + ev)
	}
	if p.seen[key] {
		// Same check on the same host and port with another key (a user, a
		// file...): one finding, the evidence lists every instance.
		for i := range p.tests {
			pt := &p.tests[i]
			if pt.host == h && pt.testID == id && pt.port == port && pt.protocol == proto {
				if ev != "" && len(pt.evidence) < 4096 && !strings.Contains(pt.evidence, ev) {
					pt.evidence = report.Truncate(pt.evidence+"\n"+ev, 4096)
				}
				break
			}
		}
		return
	}
	p.seen[key] = true
	p.tests = append(p.tests, pending{host: h, testID: id, port: port, protocol: proto, service: service, evidence: report.Truncate(ev, 4096)})
}

func (p *parser) openPort(ref report.AssetRef, port int, proto, service string) error {
	// The service name stays out of the title: Nexpose names one port's
	// service differently from host to host ("http", "https", unknown).
	title := fmt.Sprintf("Open port %s/%d", strings.ToUpper(proto), port)
	return p.sink.Observe(report.Observation{
		Asset:        ref,
		ToolID:       "open-port",
		ToolSeverity: "0",
		Evidence:     fmt.Sprintf("%s/%d is open with service %q", proto, port, service),
		Finding: model.Finding{
			Kind:     model.KindExposedService,
			Title:    title,
			Severity: model.SevInfo,
			RuleID:   "open-port",
			Location: model.Location{Port: port, Protocol: proto, Service: service},
		},
	})
}

func (p *parser) flush(ctx context.Context) error {
	for i, t := range p.tests {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		def := p.defs[t.testID]
		if def == nil {
			// A test without a definition carries neither title nor
			// severity; Nexpose always writes both, so skip the orphan.
			continue
		}
		if err := p.sink.Observe(observation(p.hosts[t.host], t, def)); err != nil {
			return err
		}
	}
	return nil
}

func observation(asset report.AssetRef, t pending, def *xVuln) report.Observation {
	sevNum, _ := strconv.Atoi(strings.TrimSpace(def.Severity))
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       strings.TrimSpace(def.Title),
		Description: report.Truncate(strings.TrimSpace(string(def.Description)), 16<<10),
		Severity:    nexposeSeverity(sevNum),
		Remediation: report.Truncate(strings.TrimSpace(string(def.Solution)), 16<<10),
		Location:    model.Location{Port: t.port, Protocol: t.protocol, Service: t.service},
	}
	if f.Title == "" {
		f.Title = def.ID
	}
	var ids []string
	for _, ref := range def.References {
		v := strings.TrimSpace(ref.Value)
		switch strings.ToUpper(strings.TrimSpace(ref.Source)) {
		case "CVE":
			ids = append(ids, v)
		case "URL":
			if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
				f.References = append(f.References, v)
			}
		}
	}
	if len(ids) == 0 {
		// Some definitions only name their CVE in the id or title
		// ("adobe-apsb10-18-CVE-2010-2861").
		ids = report.FindCVEs(def.ID)
	}
	f.VulnID, f.Aliases = report.VulnIDs(ids...)
	if f.VulnID != "" && !report.IsCVE(f.VulnID) {
		// Non-CVE references are not vulnerability ids ctem can join on.
		f.VulnID, f.Aliases = "", nil
	}
	report.AddCVSS(&f, def.CVSS3Vector)
	report.AddCVSS(&f, def.CVSSVector)
	return report.Observation{
		Asset:        asset,
		ToolID:       def.ID,
		ToolSeverity: def.Severity,
		Evidence:     t.evidence,
		Finding:      f,
	}
}

// nexposeSeverity maps Nexpose's 1-10 severity onto ctem's scale with the
// CVSS-like bands Rapid7 uses (1-3 moderate, 4-7 severe, 8-10 critical are
// Rapid7's own three words; the five-step bands keep more detail).
func nexposeSeverity(n int) model.Severity {
	switch {
	case n >= 9:
		return model.SevCritical
	case n >= 7:
		return model.SevHigh
	case n >= 4:
		return model.SevMedium
	case n > 0:
		return model.SevLow
	}
	return model.SevInfo
}

func hostRef(n *xNode) (report.AssetRef, bool) {
	ref := report.AssetRef{Kind: model.AssetHost}
	addr := strings.TrimSpace(n.Address)
	var names []string
	for _, name := range n.Names {
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "" {
			names = append(names, name)
		}
	}
	for _, name := range names {
		ref.Identifiers = append(ref.Identifiers, hostIdentifier(name))
	}
	if addr != "" {
		ref.Identifiers = append(ref.Identifiers, hostIdentifier(addr))
	}
	if mac := hostid.MAC(n.Hardware); mac != "" {
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDMAC, Value: mac})
	}
	if len(ref.Identifiers) == 0 {
		return ref, false
	}
	ref.Identifiers = dedupIDs(ref.Identifiers)
	if len(names) > 0 {
		ref.Name = names[0]
	} else {
		ref.Name = addr
	}
	if os := bestOS(n.OS); os != "" {
		ref.Attributes = map[string]string{"os": os}
	}
	return ref, true
}

// bestOS picks the fingerprint Nexpose is most certain of.
func bestOS(list []xOS) string {
	best, bestC := "", -1.0
	for _, o := range list {
		c, err := strconv.ParseFloat(o.Certainty, 64)
		if err != nil {
			c = 0
		}
		name := strings.TrimSpace(o.Product)
		if name == "" {
			name = strings.TrimSpace(o.Family)
		}
		if o.Vendor != "" && !strings.HasPrefix(name, o.Vendor) {
			name = strings.TrimSpace(o.Vendor + " " + name)
		}
		if o.Version != "" {
			name += " " + o.Version
		}
		if name != "" && c > bestC {
			best, bestC = name, c
		}
	}
	return best
}

// hostIdentifier names a host by its address or, without the root's
// trailing dot, its name.
func hostIdentifier(s string) model.Identifier {
	s = strings.ToLower(strings.TrimSpace(s))
	if id, ok := hostid.Address(s); ok {
		return id
	}
	return hostid.Name(strings.TrimSuffix(s, "."))
}

func dedupIDs(ids []model.Identifier) []model.Identifier {
	out := ids[:0]
	seen := map[model.Identifier]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// htmlText collects the text of Nexpose's HtmlType markup (Paragraph,
// ListItem, URLLink...) with paragraphs on their own lines.
type htmlText string

// UnmarshalXML implements xml.Unmarshaler.
func (h *htmlText) UnmarshalXML(dec *xml.Decoder, start xml.StartElement) error {
	var b strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "ListItem":
				newline(&b)
				b.WriteString("- ")
			case "URLLink":
				for _, a := range t.Attr {
					if a.Name.Local == "LinkURL" && a.Value != "" {
						space(&b)
						b.WriteString(a.Value)
					}
				}
			}
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "Paragraph", "ListItem", "ContainerBlockElement", "UnorderedList", "OrderedList":
				newline(&b)
			}
		case xml.CharData:
			text := strings.Join(strings.Fields(string(t)), " ")
			// Past 64 KiB keep consuming but stop collecting: memory stays
			// bounded on absurd inputs.
			if text != "" && b.Len() < 64<<10 {
				space(&b)
				b.WriteString(text)
			}
		}
	}
	text := strings.TrimSpace(b.String())
	// A test holds several top-level elements, each decoded into the same
	// field: append rather than overwrite.
	if *h != "" && text != "" {
		text = string(*h) + "\n" + text
	} else if text == "" {
		text = string(*h)
	}
	*h = htmlText(text)
	return nil
}

func newline(b *strings.Builder) {
	s := b.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		b.WriteByte('\n')
	}
}

func space(b *strings.Builder) {
	s := b.String()
	if s != "" && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, " ") && !strings.HasSuffix(s, "- ") {
		b.WriteByte(' ')
	}
}
