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
	dec := newXMLDecoder(r)
	seen := assets{}
	groups := newGrouper()
	root := false
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlError(dec, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "issues" {
				return xmlErrorf(dec, "expected a Burp <issues> root element, found <%s>", se.Name.Local)
			}
			root = true
			continue
		}
		if se.Name.Local != "issue" {
			continue
		}
		var is issue
		if err := dec.DecodeElement(&is, &se); err != nil {
			return xmlError(dec, err)
		}
		s, ok := parseSite(is.Host.Value, "http")
		if !ok {
			return xmlErrorf(dec, "Burp issue %q without a valid host (%q)", is.Name, is.Host.Value)
		}
		if err := seen.report(sink, s.asset()); err != nil {
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
		return xmlErrorf(dec, "empty document: expected a Burp <issues> export")
	}
	return groups.flush(ctx, sink)
}

var (
	cweRe   = regexp.MustCompile(`CWE-(\d+)`)
	paramRe = regexp.MustCompile(`\s\[([^\[\]]+) (?:parameter|cookie|header)\]\s*$`)
)

func add(groups *grouper, s site, is *issue) {
	name := strings.TrimSpace(is.Name)
	typ := strings.TrimSpace(is.Type)
	if typ == "" {
		typ = name
	}
	u := s.join(is.Path)
	// The location repeats the path and names the input in brackets:
	// "/search.php [test parameter]".
	param := paramOf(is.Location)
	var method, req string
	for _, rr := range is.RequestResponse {
		if req = firstLine(decode(rr.Request)); req != "" {
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
		Description: joinText(htmlText(is.IssueDetail), htmlText(is.IssueBackground)),
		Severity:    report.SeverityOr(is.Severity, model.SevInfo),
		RuleID:      typ,
		Location:    model.Location{URL: u, Method: method, Param: param, Port: s.Port, Protocol: s.Scheme},
		Remediation: joinText(htmlText(is.RemediationDetail), htmlText(is.RemediationBackground)),
		References:  links(is.References),
	}
	for _, m := range cweRe.FindAllStringSubmatch(is.Classifications, -1) {
		report.AddCWE(&f, m[1])
	}
	if cves := report.FindCVEs(is.IssueDetail); len(cves) > 0 {
		// Burp's vulnerable-library checks name the CVEs in the detail.
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	detail := report.Truncate(htmlText(is.IssueDetail), 1024)
	line := u
	if loc := strings.TrimSpace(is.Location); loc != "" && loc != is.Path {
		line = s.join(loc)
	}
	groups.add(typ, report.Observation{
		Asset:        s.asset(),
		ToolID:       typ,
		ToolSeverity: is.Severity,
		Finding:      f,
	}, line, strings.Join(nonEmpty(req, detail), "\n"))
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

func joinText(parts ...string) string { return strings.Join(nonEmpty(parts...), "\n\n") }

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// paramOf reads the input Burp names at the end of a location or caption:
// "/p [id parameter]", "/p [b_id cookie]", "/p [email JSON parameter]",
// "/p [x XML attribute within the name parameter]". Descriptions such as
// "[name of an arbitrarily supplied URL parameter]" name no input.
func paramOf(loc string) string {
	m := paramRe.FindStringSubmatch(loc)
	if m == nil {
		return ""
	}
	p := m[1]
	if i := strings.LastIndex(p, " within the "); i >= 0 {
		p = p[i+len(" within the "):]
	}
	f := strings.Fields(p)
	switch {
	case len(f) == 1:
		return f[0]
	case len(f) == 2 && (f[1] == "JSON" || f[1] == "XML" || f[1] == "URL" || f[1] == "body" || f[1] == "multipart"):
		return f[0]
	}
	return ""
}
