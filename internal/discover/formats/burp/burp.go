// Package burp parses the XML issue export of Burp Suite Professional
// (Target > Site map > Report issues / Save selected issues, <issues> root).
//
// Burp lists one <issue> per (issue type, location); like Burp's own issue
// tree and DefectDojo, ctem keeps one observation per issue type on one web
// application, located at one of its locations (the lowest, for a stable
// identity), with every location listed in
// the evidence.
package burp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/burpissue"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Burp Suite XML format.
func New() report.Format { return format{} }

func (format) Name() string        { return "burp" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Burp Suite XML issues export" }

// Detect looks for the <issues burpVersion=...> root, or an <issues> root
// whose issues carry Burp's serialNumber and type elements.
func (format) Detect(head []byte) int {
	i := bytes.Index(head, []byte("<issues"))
	if i < 0 {
		return 0
	}
	rest := head[i:]
	if end := bytes.IndexByte(rest, '>'); end > 0 && bytes.Contains(rest[:end], []byte("burpVersion=")) {
		return 100
	}
	if bytes.Contains(rest, []byte("<issue>")) && bytes.Contains(rest, []byte("<serialNumber>")) && bytes.Contains(rest, []byte("<issueBackground>")) {
		return 80
	}
	return 0
}

type text struct {
	Base64 string `xml:"base64,attr"`
	Method string `xml:"method,attr"`
	Value  string `xml:",chardata"`
}

type issue struct {
	SerialNumber string `xml:"serialNumber"`
	Type         string `xml:"type"`
	Name         string `xml:"name"`
	Host         struct {
		IP    string `xml:"ip,attr"`
		Value string `xml:",chardata"`
	} `xml:"host"`
	Path                  string `xml:"path"`
	Location              string `xml:"location"`
	Severity              string `xml:"severity"`
	Confidence            string `xml:"confidence"`
	IssueBackground       string `xml:"issueBackground"`
	RemediationBackground string `xml:"remediationBackground"`
	References            string `xml:"references"`
	Classifications       string `xml:"vulnerabilityClassifications"`
	IssueDetail           string `xml:"issueDetail"`
	RemediationDetail     string `xml:"remediationDetail"`
	RequestResponse       []struct {
		Request  text `xml:"request"`
		Response text `xml:"response"`
	} `xml:"requestresponse"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	seen := webfinding.Assets{}
	groups := webfinding.NewGrouper()
	root := false
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlx.Error(dec, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "issues" {
				return xmlx.Errorf(dec, "expected a Burp <issues> root element, found <%s>", se.Name.Local)
			}
			root = true
			continue
		}
		if se.Name.Local != "issue" {
			continue
		}
		var is issue
		if err := dec.DecodeElement(&is, &se); err != nil {
			return xmlx.Error(dec, err)
		}
		s, ok := webfinding.ParseSite(is.Host.Value, "http")
		if !ok {
			return xmlx.Errorf(dec, "Burp issue %q without a valid host (%q)", is.Name, is.Host.Value)
		}
		if err := seen.Report(sink, s.Asset()); err != nil {
			return err
		}
		add(groups, s, &is)
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if !root {
		return xmlx.Errorf(dec, "empty document: expected a Burp <issues> export")
	}
	return groups.Flush(ctx, sink)
}

var cweRe = regexp.MustCompile(`CWE-(\d+)`)

func add(groups *webfinding.Grouper, s webfinding.Site, is *issue) {
	name := strings.TrimSpace(is.Name)
	typ := strings.TrimSpace(is.Type)
	if typ == "" {
		typ = name
	}
	u := s.Join(is.Path)
	// The location repeats the path and names the input in brackets:
	// "/search.php [test parameter]".
	param := burpissue.Param(is.Location)
	var method, req string
	for _, rr := range is.RequestResponse {
		if req = webtext.FirstLine(decode(rr.Request)); req != "" {
			method = rr.Request.Method
			break
		}
	}
	if method == "" {
		method, _, _ = strings.Cut(req, " ")
	}
	f := model.Finding{
		Kind:        model.KindWebWeakness,
		Title:       name,
		Description: nonempty.Join("\n\n", webtext.FromHTML(is.IssueDetail), webtext.FromHTML(is.IssueBackground)),
		Severity:    report.SeverityOr(is.Severity, model.SevInfo),
		RuleID:      typ,
		Location:    model.Location{URL: u, Method: method, Param: param, Port: s.Port, Protocol: s.Scheme},
		Remediation: nonempty.Join("\n\n", webtext.FromHTML(is.RemediationDetail), webtext.FromHTML(is.RemediationBackground)),
		References:  webtext.Links(is.References),
	}
	for _, m := range cweRe.FindAllStringSubmatch(is.Classifications, -1) {
		report.AddCWE(&f, m[1])
	}
	if cves := report.FindCVEs(is.IssueDetail); len(cves) > 0 {
		// Burp's vulnerable-library checks name the CVEs in the detail.
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	detail := report.Truncate(webtext.FromHTML(is.IssueDetail), 1024)
	line := u
	if loc := strings.TrimSpace(is.Location); loc != "" && loc != is.Path {
		line = s.Join(loc)
	}
	groups.Add(typ, report.Observation{
		Asset:        s.Asset(),
		ToolID:       typ,
		ToolSeverity: is.Severity,
		Finding:      f,
	}, line, nonempty.Join("\n", req, detail))
}

// decode returns a request or response as text, decoding Base64 when the
// export says so; undecodable data is dropped rather than failing the report.
func decode(t text) string {
	v := strings.TrimSpace(t.Value)
	if t.Base64 != "true" {
		return v
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(b)
}
