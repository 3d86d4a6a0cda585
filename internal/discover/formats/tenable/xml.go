package tenable

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type xTag struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type xHostProperties struct {
	Tags []xTag `xml:"tag"`
}

type xChild struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

type xItem struct {
	Port     string   `xml:"port,attr"`
	SvcName  string   `xml:"svc_name,attr"`
	Protocol string   `xml:"protocol,attr"`
	Severity string   `xml:"severity,attr"`
	PluginID string   `xml:"pluginID,attr"`
	Name     string   `xml:"pluginName,attr"`
	Family   string   `xml:"pluginFamily,attr"`
	Children []xChild `xml:",any"`
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

func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	sawRoot := false
	reportIsWAS := false
	var host *hostState
	items := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !sawRoot {
				return report.Errorf(dec.InputOffset(), "no <NessusClientData_v2> element: not a Nessus v2 report")
			}
			return nil
		}
		if err != nil {
			return xmlx.ReadError(dec, "Nessus XML", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !sawRoot {
				if t.Name.Local != "NessusClientData_v2" {
					return xmlx.Errorf(dec, "expected <NessusClientData_v2> root element, found <%s>", t.Name.Local)
				}
				sawRoot = true
				continue
			}
			switch t.Name.Local {
			case "Policy":
				// Scan settings: large and of no use for findings.
				if err := dec.Skip(); err != nil {
					return xmlx.ReadError(dec, "Nessus XML", err)
				}
			case "Report":
				reportIsWAS = strings.EqualFold(xmlx.Attr(t, "type"), "was")
			case "ReportHost":
				if host != nil {
					return xmlx.Errorf(dec, "nested <ReportHost>")
				}
				host = &hostState{name: strings.TrimSpace(xmlx.Attr(t, "name")), web: reportIsWAS, merge: newMerger(sink)}
			case "HostProperties":
				if host == nil || host.known {
					if err := dec.Skip(); err != nil {
						return xmlx.ReadError(dec, "Nessus XML", err)
					}
					continue
				}
				var hp xHostProperties
				if err := dec.DecodeElement(&hp, &t); err != nil {
					return xmlx.ReadError(dec, "Nessus XML", err)
				}
				if err := host.resolve(hp.Tags, sink); err != nil {
					return err
				}
			case "ReportItem":
				if host == nil {
					if err := dec.Skip(); err != nil {
						return xmlx.ReadError(dec, "Nessus XML", err)
					}
					continue
				}
				it, err := decodeItem(dec, t)
				if err != nil {
					return xmlx.ReadError(dec, "Nessus XML", err)
				}
				items++
				if items%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				if !host.known {
					host.waiting = append(host.waiting, it)
					continue
				}
				if err := host.item(&it); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if t.Name.Local == "ReportHost" && host != nil {
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
	compliance := map[string]string{}
	for _, c := range it.Children {
		v := strings.TrimSpace(c.Value)
		if v == "" {
			continue
		}
		local := c.XMLName.Local
		if strings.HasPrefix(local, "compliance-") {
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
	o := e.observation(h.asset)
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

// decodeItem reads one <ReportItem>: its attributes and its children's
// text. Hand-written rather than DecodeElement, whose reflection dominates
// the parse of reports with millions of items; the decoder still checks
// that the document is well formed.
func decodeItem(dec *xml.Decoder, start xml.StartElement) (xItem, error) {
	var it xItem
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "port":
			it.Port = a.Value
		case "svc_name":
			it.SvcName = a.Value
		case "protocol":
			it.Protocol = a.Value
		case "severity":
			it.Severity = a.Value
		case "pluginID":
			it.PluginID = a.Value
		case "pluginName":
			it.Name = a.Value
		case "pluginFamily":
			it.Family = a.Value
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return it, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			text, err := elementText(dec)
			if err != nil {
				return it, err
			}
			it.Children = append(it.Children, xChild{XMLName: t.Name, Value: text})
		case xml.EndElement:
			return it, nil
		}
	}
}

// elementText returns the character data directly inside the element just
// started (as `xml:",chardata"` does) and consumes it to its end.
func elementText(dec *xml.Decoder) (string, error) {
	var b strings.Builder
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if depth == 0 {
				b.Write(t)
			}
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return b.String(), nil
			}
			depth--
		}
	}
}
