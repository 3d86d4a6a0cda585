package tenable

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type xTag struct {
	Name  string
	Value string
}

// xChild is one child element of a ReportItem: its local name and the text
// directly inside it.
type xChild struct {
	Local string
	Value string
}

type xItem struct {
	Port     string
	SvcName  string
	Protocol string
	Severity string
	PluginID string
	Name     string
	Family   string
	Children []xChild
}

// hostState is the ReportHost being read. Nessus writes HostProperties
// before the ReportItems; items met before it (never seen in practice) wait
// until the asset is known.
type hostState struct {
	name    string
	web     bool
	asset   report.AssetRef
	known   bool
	skip    bool
	waiting []xItem
	merge   *merger
}

// maxShared bounds the text an xmlParser shares between results (see
// xmlx.Interner).
const maxShared = 16 << 20

// xmlParser reads a .nessus document with xmlx.Scanner, a tokenizer that
// hands out byte slices, so that only what a finding keeps becomes a
// string; and as a report of a million results repeats the same plugin
// texts on every host, those strings are shared rather than copied.
type xmlParser struct {
	sc       *xmlx.Scanner
	shared   *xmlx.Interner
	text     []byte   // scratch for element text
	children []xChild // scratch for the children of the item being read
}

func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	p := &xmlParser{sc: xmlx.NewScanner(r), shared: xmlx.NewInterner(maxShared)}
	// Each host's results are flushed when it ends: one merger serves all.
	merge := newMerger(sink)
	sc := p.sc
	sawRoot := false
	reportIsWAS := false
	var host *hostState
	items := 0
	for {
		kind, err := sc.Next()
		if errors.Is(err, io.EOF) {
			if !sawRoot {
				return report.Errorf(sc.Offset(), "no <NessusClientData_v2> element: not a Nessus v2 report")
			}
			return nil
		}
		if err != nil {
			return sc.ReadError("Nessus XML", err)
		}
		switch kind {
		case xmlx.StartTag:
			if !sawRoot {
				if string(sc.Name()) != "NessusClientData_v2" {
					return sc.Errorf("expected <NessusClientData_v2> root element, found <%s>", sc.Name())
				}
				sawRoot = true
				continue
			}
			switch string(sc.Name()) {
			case "Policy":
				// Scan settings: large and of no use for findings.
				if err := sc.Skip(); err != nil {
					return sc.ReadError("Nessus XML", err)
				}
			case "Report":
				reportIsWAS = strings.EqualFold(string(sc.Attr("type")), "was")
			case "ReportHost":
				if host != nil {
					return sc.Errorf("nested <ReportHost>")
				}
				host = &hostState{name: strings.TrimSpace(string(sc.Attr("name"))), web: reportIsWAS, merge: merge}
			case "HostProperties":
				if host == nil || host.known {
					if err := sc.Skip(); err != nil {
						return sc.ReadError("Nessus XML", err)
					}
					continue
				}
				tags, err := p.hostProperties()
				if err != nil {
					return sc.ReadError("Nessus XML", err)
				}
				if err := host.resolve(tags, sink); err != nil {
					return err
				}
			case "ReportItem":
				if host == nil {
					if err := sc.Skip(); err != nil {
						return sc.ReadError("Nessus XML", err)
					}
					continue
				}
				it, err := p.item()
				if err != nil {
					return sc.ReadError("Nessus XML", err)
				}
				items++
				if items%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				if !host.known {
					// it.Children is scratch space, reused by the next item.
					it.Children = slices.Clone(it.Children)
					host.waiting = append(host.waiting, it)
					continue
				}
				if err := host.item(&it); err != nil {
					return err
				}
			}
		case xmlx.EndTag:
			if string(sc.Name()) == "ReportHost" && host != nil {
				if !host.known {
					if err := host.resolve(nil, sink); err != nil {
						return err
					}
				}
				if err := host.merge.flush(); err != nil {
					return err
				}
				host = nil
			}
		}
	}
}

// hostProperties reads the <tag name="...">value</tag> children of the
// HostProperties element just started, as xml.Unmarshal into
// struct{ Tags []struct{ Name string `xml:"name,attr"`; Value string
// `xml:",chardata"` } `xml:"tag"` } would.
func (p *xmlParser) hostProperties() ([]xTag, error) {
	sc := p.sc
	var tags []xTag
	err := sc.EachChild(func() error {
		if string(sc.Name()) != "tag" {
			return sc.Skip()
		}
		var t xTag
		for _, a := range sc.Attrs() {
			if string(a.Local) == "name" {
				t.Name = p.shared.String(a.Value)
			}
		}
		var err error
		p.text, err = sc.AppendText(p.text[:0])
		t.Value = string(p.text)
		tags = append(tags, t)
		return err
	})
	return tags, err
}

// resolve builds the host's asset from its properties (HostProperties tags),
// reports it, and handles items that arrived before it.
func (h *hostState) resolve(tags []xTag, sink report.Sink) error {
	var b assetBuilder
	for _, t := range tags {
		v := strings.TrimSpace(t.Value)
		switch t.Name {
		case "host-ip":
			b.addIP(v)
		case "host-fqdn":
			if strings.Contains(v, "://") {
				h.web = true
			}
			b.addHost(v)
		case "hostname", "netbios-name":
			b.addName(v)
		case "mac-address":
			b.addMACs(v)
		case "operating-system":
			// Several guesses come one per line, best first.
			if i := strings.IndexByte(v, '\n'); i >= 0 {
				v = v[:i]
			}
			b.attr("os", v)
		case "aws-instance-instanceId":
			b.add(model.IDCloudID, v)
		case "system-type":
			if v == "web_application" {
				h.web = true
			}
		}
	}
	// The ReportHost name is what the scan targeted: an address, a name, or
	// for WAS the application URL.
	if strings.Contains(h.name, "://") {
		h.web = true
		b.addURL(h.name)
	} else if h.name != "" {
		b.addHost(h.name)
	}
	a, ok := b.done()
	h.asset, h.known = a, true
	if !ok {
		// Nothing names this host: its results could not be attached to
		// any asset, so they are dropped rather than invented an identity.
		h.skip = true
		h.waiting = nil
		return nil
	}
	if err := sink.Asset(a); err != nil {
		return err
	}
	waiting := h.waiting
	h.waiting = nil
	for i := range waiting {
		if err := h.item(&waiting[i]); err != nil {
			return err
		}
	}
	return nil
}

// itemField names the ReportItem children hostState.item reads, "" for
// the others (of which real reports have dozens per item: dates, script
// versions, exploitability flags). Keep it in step with hostState.item.
func itemField(name []byte) string {
	switch string(name) {
	case "risk_factor":
		return "risk_factor"
	case "synopsis":
		return "synopsis"
	case "description":
		return "description"
	case "solution":
		return "solution"
	case "plugin_output":
		return "plugin_output"
	case "see_also":
		return "see_also"
	case "cve":
		return "cve"
	case "cwe":
		return "cwe"
	case "xref":
		return "xref"
	case "cvss3_vector":
		return "cvss3_vector"
	case "cvss_vector":
		return "cvss_vector"
	case "cvss4_vector":
		return "cvss4_vector"
	case "cvss3_base_score":
		return "cvss3_base_score"
	case "cpe":
		return "cpe"
	case "plugin_name":
		return "plugin_name"
	}
	if bytes.HasPrefix(name, []byte("compliance-")) {
		return string(name)
	}
	return ""
}

func (h *hostState) item(it *xItem) error {
	if h.skip {
		return nil
	}
	e := entry{
		pluginID: strings.TrimSpace(it.PluginID),
		title:    it.Name,
		family:   it.Family,
		protocol: strings.ToLower(strings.TrimSpace(it.Protocol)),
		web:      h.web,
	}
	e.toolID = e.pluginID
	if p, err := strconv.Atoi(strings.TrimSpace(it.Port)); err == nil && p > 0 && p < 65536 {
		e.port = p
	}
	e.service = serviceName(it.SvcName)
	e.severity = severityWord(it.Severity)
	e.toolSeverity = it.Severity
	var cvss3Score string
	var compliance map[string]string
	for _, c := range it.Children {
		v := strings.TrimSpace(c.Value)
		if v == "" {
			continue
		}
		local := c.Local
		if strings.HasPrefix(local, "compliance-") {
			if compliance == nil {
				compliance = map[string]string{}
			}
			compliance[local] = v
			continue
		}
		switch local {
		case "risk_factor":
			e.toolSeverity = v
		case "synopsis":
			e.synopsis = v
		case "description":
			e.description = v
		case "solution":
			e.solution = v
		case "plugin_output":
			e.output = v
		case "see_also":
			e.seeAlso = append(e.seeAlso, v)
		case "cve":
			e.cves = append(e.cves, v)
		case "cwe":
			if n, ok := report.ParseCWE(v); ok {
				e.cwes = appendInt(e.cwes, n)
			}
		case "xref":
			for _, n := range cwesIn(v) {
				e.cwes = appendInt(e.cwes, n)
			}
		case "cvss3_vector", "cvss_vector", "cvss4_vector":
			e.vectors = append(e.vectors, v)
		case "cvss3_base_score":
			cvss3Score = v
		case "cpe":
			if e.cpe == "" {
				e.cpe = v
			}
		case "plugin_name":
			if e.title == "" {
				e.title = v
			}
		}
	}
	// The severity attribute of scans before Nessus 10.6 follows CVSS v2;
	// Tenable now rates by CVSS v3, so the v3 base score wins when present
	// (DefectDojo does the same).
	if s, err := strconv.ParseFloat(cvss3Score, 64); err == nil && s >= 0 && s <= 10 {
		e.severity = report.SeverityFromScore(s)
	}
	if e.toolID == "" {
		e.toolID = strings.TrimSpace(e.title)
	}
	if len(compliance) > 0 {
		if !complianceEntry(&e, compliance) {
			return nil
		}
	}
	if h.web && h.asset.Kind == model.AssetWebApp {
		e.url = h.asset.Name
		e.protocol = scheme(e.url)
	}
	o := e.observation(h.asset, h.merge.cvss)
	return h.merge.add(mergeKey("", &o), o)
}

// complianceEntry turns an audit-file check (cm:compliance-* elements) into a
// misconfiguration. Passed checks are not findings: it returns false for them.
func complianceEntry(e *entry, c map[string]string) bool {
	result := strings.ToUpper(c["compliance-result"])
	if result == "PASSED" {
		return false
	}
	e.kind = model.KindMisconfiguration
	if n := c["compliance-check-name"]; n != "" {
		e.title = n
	}
	id := c["compliance-check-id"]
	if id == "" {
		id = e.pluginID + ":" + e.title
	}
	e.toolID = id
	e.ruleID = id
	if v := c["compliance-info"]; v != "" {
		e.description = v
		e.synopsis = ""
	}
	if v := c["compliance-solution"]; v != "" {
		e.solution = v
	}
	if v := c["compliance-see-also"]; v != "" {
		e.seeAlso = append(e.seeAlso, v)
	}
	var ev []string
	if result != "" {
		ev = append(ev, "Result: "+result)
	}
	if v := c["compliance-actual-value"]; v != "" {
		ev = append(ev, "Actual value: "+v)
	}
	if v := c["compliance-policy-value"]; v != "" {
		ev = append(ev, "Policy value: "+v)
	}
	if len(ev) > 0 {
		e.output = strings.Join(ev, "\n")
	}
	return true
}

// serviceName cleans Nessus' svc_name: "https?" marks a guess, "www" is
// Nessus' name for HTTP, "general" means no particular service.
func serviceName(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "?")))
	switch s {
	case "general":
		return ""
	case "www":
		return "http"
	}
	return s
}

func scheme(u string) string {
	if i := strings.Index(u, "://"); i > 0 {
		return strings.ToLower(u[:i])
	}
	return ""
}

// item reads the ReportItem just started: its attributes (the last of a
// name wins, as with xml.Unmarshal) and its children's text. The texts a
// plugin writes the same on every host are shared; plugin output, which
// differs from host to host, is not. it.Children is only valid until the
// next call.
func (p *xmlParser) item() (xItem, error) {
	sc := p.sc
	var it xItem
	for _, a := range sc.Attrs() {
		switch string(a.Local) {
		case "port":
			it.Port = p.shared.String(a.Value)
		case "svc_name":
			it.SvcName = p.shared.String(a.Value)
		case "protocol":
			it.Protocol = p.shared.String(a.Value)
		case "severity":
			it.Severity = p.shared.String(a.Value)
		case "pluginID":
			it.PluginID = p.shared.String(a.Value)
		case "pluginName":
			it.Name = p.shared.String(a.Value)
		case "pluginFamily":
			it.Family = p.shared.String(a.Value)
		}
	}
	children := p.children[:0]
	err := sc.EachChild(func() error {
		local := itemField(sc.Name())
		if local == "" {
			// Read past what hostState.item has no use for.
			return sc.Skip()
		}
		var err error
		p.text, err = sc.AppendText(p.text[:0])
		var v string
		if local == "plugin_output" {
			v = string(p.text)
		} else {
			v = p.shared.String(p.text)
		}
		children = append(children, xChild{Local: local, Value: v})
		return err
	})
	p.children = children[:0]
	it.Children = children
	return it, err
}
