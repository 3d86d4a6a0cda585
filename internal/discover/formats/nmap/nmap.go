// Package nmap parses nmap XML output (-oX): every host that is up becomes a
// host asset, every open port an exposed-service finding, and the entries of
// the vulners NSE script (nmap-vulners) vulnerability findings on that port.
package nmap

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// maxEvidence bounds Evidence, as the report package recommends.
const maxEvidence = 4 << 10

type format struct{}

// New returns the nmap XML format.
func New() report.Format { return format{} }

func (format) Name() string        { return "nmap" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Nmap XML output (-oX), with vulners script results" }

// Detect looks for the <nmaprun> root element. Masscan also writes an
// <nmaprun> root (scanner="masscan"); it is close enough in structure that we
// still parse it, but with less certainty.
func (format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	i := bytes.Index(head, []byte("<nmaprun"))
	if i < 0 {
		if bytes.Contains(head, []byte("<!DOCTYPE nmaprun")) {
			return 80
		}
		return 0
	}
	// The root must be the first element: anything before it may only be the
	// prolog (declaration, doctype, stylesheet, comments).
	if !xmlx.OnlyProlog(head[:i]) {
		return 0
	}
	rest := head[i:]
	if end := bytes.IndexByte(rest, '>'); end > 0 {
		rest = rest[:end]
	}
	switch {
	case bytes.Contains(rest, []byte(`scanner="nmap"`)):
		return 100
	case bytes.Contains(rest, []byte(`scanner="masscan"`)):
		return 60
	}
	return 85
}

// XML shapes; only what the parser uses.
type xHost struct {
	Status *struct {
		State string `xml:"state,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr     string `xml:"addr,attr"`
		AddrType string `xml:"addrtype,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"hostnames>hostname"`
	OSMatches []struct {
		Name     string `xml:"name,attr"`
		Accuracy string `xml:"accuracy,attr"`
	} `xml:"os>osmatch"`
	Ports []xPort `xml:"ports>port"`
}

type xPort struct {
	Protocol string `xml:"protocol,attr"`
	PortID   string `xml:"portid,attr"`
	State    struct {
		State string `xml:"state,attr"`
	} `xml:"state"`
	Service *struct {
		Name      string   `xml:"name,attr"`
		Product   string   `xml:"product,attr"`
		Version   string   `xml:"version,attr"`
		ExtraInfo string   `xml:"extrainfo,attr"`
		Tunnel    string   `xml:"tunnel,attr"`
		CPEs      []string `xml:"cpe"`
	} `xml:"service"`
	Scripts []xScript `xml:"script"`
}

type xScript struct {
	ID     string   `xml:"id,attr"`
	Output string   `xml:"output,attr"`
	Tables []xTable `xml:"table"`
}

type xTable struct {
	Key    string   `xml:"key,attr"`
	Tables []xTable `xml:"table"`
	Elems  []struct {
		Key   string `xml:"key,attr"`
		Value string `xml:",chardata"`
	} `xml:"elem"`
}

func (f format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return report.Errorf(0, "empty input: expected nmap XML (<nmaprun>)")
		}
		return report.AtOffset(0, err)
	}
	dec := xmlx.NewDecoder(br)
	sawRoot := false
	hosts := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !sawRoot {
				return report.Errorf(dec.InputOffset(), "no <nmaprun> element: not nmap XML")
			}
			return nil
		}
		if err != nil {
			return xmlx.ReadError(dec, "nmap XML", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !sawRoot {
			if se.Name.Local != "nmaprun" {
				return xmlx.Errorf(dec, "expected <nmaprun> root element, found <%s>", se.Name.Local)
			}
			sawRoot = true
			continue
		}
		if se.Name.Local != "host" {
			// Scan metadata (scaninfo, taskbegin, runstats...) is not needed.
			if err := dec.Skip(); err != nil {
				return xmlx.ReadError(dec, "nmap XML", err)
			}
			continue
		}
		var h xHost
		if err := dec.DecodeElement(&h, &se); err != nil {
			return xmlx.ReadError(dec, "nmap XML", err)
		}
		hosts++
		if hosts%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := emitHost(&h, sink); err != nil {
			return err
		}
	}
}

func emitHost(h *xHost, sink report.Sink) error {
	// A host that is down was not really examined: reporting it as covered
	// would close its findings as fixed.
	if h.Status != nil && h.Status.State != "" && h.Status.State != "up" {
		return nil
	}
	asset, ok := hostAsset(h)
	if !ok {
		return nil
	}
	if err := sink.Asset(asset); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range h.Ports {
		p := &h.Ports[i]
		if p.State.State != "open" {
			continue
		}
		port, _ := strconv.Atoi(strings.TrimSpace(p.PortID))
		proto := strings.ToLower(strings.TrimSpace(p.Protocol))
		loc := model.Location{Port: port, Protocol: proto}
		if p.Service != nil {
			loc.Service = strings.TrimSpace(p.Service.Name)
		}
		// Vulners results first, then the port itself: the order DefectDojo
		// reports them in, which keeps test indexes comparable.
		for _, s := range p.Scripts {
			if s.ID != "vulners" {
				continue
			}
			for _, o := range vulnersObservations(asset, loc, &s) {
				key := fmt.Sprintf("%d/%s/%s", port, proto, o.ToolID)
				if seen[key] {
					continue
				}
				seen[key] = true
				if err := sink.Observe(o); err != nil {
					return err
				}
			}
		}
		key := fmt.Sprintf("port/%d/%s", port, proto)
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := sink.Observe(portObservation(asset, loc, p)); err != nil {
			return err
		}
	}
	return nil
}

func hostAsset(h *xHost) (report.AssetRef, bool) {
	a := report.AssetRef{Kind: model.AssetHost}
	add := func(kind model.IdentifierKind, v string) {
		if v == "" {
			return
		}
		for _, id := range a.Identifiers {
			if id.Kind == kind && id.Value == v {
				return
			}
		}
		a.Identifiers = append(a.Identifiers, model.Identifier{Kind: kind, Value: v})
	}
	var ip string
	for _, ad := range h.Addresses {
		v := strings.TrimSpace(ad.Addr)
		switch strings.ToLower(ad.AddrType) {
		case "ipv4":
			add(model.IDIPv4, v)
		case "ipv6":
			add(model.IDIPv6, strings.ToLower(v))
		case "mac":
			add(model.IDMAC, strings.ToLower(v))
			continue
		default:
			continue
		}
		if ip == "" {
			ip = v
		}
	}
	// The PTR name is what DNS says the address is; a user-typed name is what
	// the operator targeted. Both name the machine; PTR is preferred for the
	// display name (it is what DefectDojo shows too).
	var ptr, user, other string
	for _, hn := range h.Hostnames {
		n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(hn.Name), "."))
		if n == "" {
			continue
		}
		if strings.Contains(n, ".") {
			add(model.IDFQDN, n)
		} else {
			add(model.IDHostname, n)
		}
		switch hn.Type {
		case "PTR":
			if ptr == "" {
				ptr = n
			}
		case "user":
			if user == "" {
				user = n
			}
		default:
			if other == "" {
				other = n
			}
		}
	}
	if len(a.Identifiers) == 0 {
		return a, false
	}
	a.Name = cmp.Or(ptr, user, other, ip)
	if a.Name == "" {
		a.Name = a.Identifiers[0].Value
	}
	// osmatch elements come best first.
	if len(h.OSMatches) > 0 && strings.TrimSpace(h.OSMatches[0].Name) != "" {
		a.Attributes = map[string]string{"os": strings.TrimSpace(h.OSMatches[0].Name)}
	}
	return a, true
}

func portObservation(asset report.AssetRef, loc model.Location, p *xPort) report.Observation {
	title := fmt.Sprintf("Open port: %d/%s", loc.Port, loc.Protocol)
	var desc []string
	desc = append(desc, fmt.Sprintf("Port %d/%s is open.", loc.Port, loc.Protocol))
	f := model.Finding{
		Kind:     model.KindExposedService,
		Title:    title,
		Severity: model.SevInfo,
		Location: loc,
	}
	var evidence string
	if s := p.Service; s != nil {
		f.Component = model.Component{Name: strings.TrimSpace(s.Product), Version: strings.TrimSpace(s.Version)}
		if s.Name != "" {
			svc := s.Name
			if s.Tunnel != "" {
				svc = s.Tunnel + "/" + svc
			}
			desc = append(desc, "Service: "+svc)
		}
		if s.Product != "" {
			desc = append(desc, "Product: "+s.Product)
		}
		if s.Version != "" {
			desc = append(desc, "Version: "+s.Version)
		}
		if s.ExtraInfo != "" {
			desc = append(desc, "Extra info: "+s.ExtraInfo)
		}
		evidence = strings.TrimSpace(nonempty.Join(" ", s.Name, s.Product, s.Version))
		if s.ExtraInfo != "" {
			evidence += " (" + s.ExtraInfo + ")"
		}
	}
	f.Description = strings.Join(desc, "\n")
	return report.Observation{
		Asset:    asset,
		ToolID:   fmt.Sprintf("port/%d/%s", loc.Port, loc.Protocol),
		Evidence: report.Truncate(strings.TrimSpace(evidence), maxEvidence),
		Finding:  f,
	}
}

// vulnersObservations reads the vulners script: one table per CPE, holding
// one table per vulnerability or exploit with id, cvss, type and is_exploit.
// Scripts without tables (very old nmap) fall back to the text output.
func vulnersObservations(asset report.AssetRef, loc model.Location, s *xScript) []report.Observation {
	var out []report.Observation
	if len(s.Tables) == 0 {
		return vulnersFromText(asset, loc, s.Output)
	}
	for _, cpeTable := range s.Tables {
		comp := componentFromCPE(cpeTable.Key)
		for _, vt := range cpeTable.Tables {
			attrs := map[string]string{}
			for _, e := range vt.Elems {
				attrs[strings.ToLower(e.Key)] = strings.TrimSpace(e.Value)
			}
			id := attrs["id"]
			if id == "" {
				continue
			}
			out = append(out, vulnersObservation(asset, loc, comp, cpeTable.Key, id, attrs["cvss"], attrs["type"], attrs["is_exploit"] == "true"))
		}
	}
	return out
}

// vulnersFromText reads lines "\tID\tSCORE\tURL[\t*EXPLOIT*]" under a
// "cpe:...:" line.
func vulnersFromText(asset report.AssetRef, loc model.Location, output string) []report.Observation {
	var out []report.Observation
	var cpe string
	var comp model.Component
	for _, line := range strings.Split(output, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "cpe:") && strings.HasSuffix(t, ":") {
			cpe = strings.TrimSuffix(t, ":")
			comp = componentFromCPE(cpe)
			continue
		}
		fields := strings.Fields(t)
		if len(fields) < 2 || cpe == "" {
			continue
		}
		if _, err := strconv.ParseFloat(fields[1], 64); err != nil {
			continue
		}
		typ := ""
		if report.IsCVE(fields[0]) {
			typ = "cve"
		}
		exploit := strings.Contains(t, "*EXPLOIT*")
		out = append(out, vulnersObservation(asset, loc, comp, cpe, fields[0], fields[1], typ, exploit))
	}
	return out
}

func vulnersObservation(asset report.AssetRef, loc model.Location, comp model.Component, cpe, id, cvss, typ string, exploit bool) report.Observation {
	sev := model.SevInfo
	if score, err := strconv.ParseFloat(cvss, 64); err == nil {
		sev = report.SeverityFromScore(score)
	}
	f := model.Finding{
		Kind:      model.KindVulnerability,
		Title:     id,
		Severity:  sev,
		Component: comp,
		Location:  loc,
	}
	// Only entries vulners types as CVEs are vulnerabilities by id; the
	// others (Metasploit modules, Exploit-DB entries...) are exploits whose
	// id stands for itself.
	if strings.EqualFold(typ, "cve") || report.IsCVE(id) {
		f.VulnID, f.Aliases = report.VulnIDs(id)
	} else {
		f.VulnID = id
	}
	if typ != "" {
		f.References = []string{"https://vulners.com/" + typ + "/" + id}
	}
	desc := []string{fmt.Sprintf("vulners reports %s for %s", id, cpe)}
	if cvss != "" {
		desc = append(desc, "CVSS score: "+cvss)
	}
	if typ != "" {
		desc = append(desc, "Type: "+typ)
	}
	if exploit {
		desc = append(desc, "A public exploit is available.")
	}
	f.Description = strings.Join(desc, "\n")
	evidence := nonempty.Join(" ", id, cvss)
	if exploit {
		evidence += " *EXPLOIT*"
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       id,
		ToolSeverity: cvss,
		Evidence:     report.Truncate(evidence, maxEvidence),
		Finding:      f,
	}
}

// componentFromCPE reads product and version from a CPE 2.2 URI
// (cpe:/a:openbsd:openssh:7.4) or a CPE 2.3 string (cpe:2.3:a:vendor:product:version:...).
func componentFromCPE(cpe string) model.Component {
	cpe = strings.TrimSpace(cpe)
	var parts []string
	switch {
	case strings.HasPrefix(cpe, "cpe:2.3:"):
		parts = strings.Split(strings.TrimPrefix(cpe, "cpe:2.3:"), ":")
	case strings.HasPrefix(cpe, "cpe:/"):
		parts = strings.Split(strings.TrimPrefix(cpe, "cpe:/"), ":")
	default:
		return model.Component{}
	}
	// parts: part, vendor, product, version, ...
	var c model.Component
	if len(parts) > 2 && parts[2] != "*" && parts[2] != "-" {
		c.Name = parts[2]
	}
	if len(parts) > 3 && parts[3] != "*" && parts[3] != "-" {
		c.Version = parts[3]
	}
	return c
}
