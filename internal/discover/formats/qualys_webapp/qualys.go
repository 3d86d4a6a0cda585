// Package qualyswebapp parses the XML scan report of Qualys Web Application
// Scanning (WAS_SCAN_REPORT) and its web application report
// (WAS_WEBAPP_REPORT).
//
// The report lists detections by QID first and explains each QID in a
// glossary after them, and names the web application in an appendix at the
// very end, so detections are kept (compactly) until the end of the file.
// As in DefectDojo, detections of one QID on one web application are one
// observation. Vulnerabilities take the glossary severity (1-2 low, 3
// medium, 4 high, 5 critical); information gathered is informational, as
// Qualys lists it apart from vulnerabilities.
package qualyswebapp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Qualys WAS format.
func New() report.Format { return format{} }

func (format) Name() string        { return "qualys_webapp" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Qualys Web Application Scanning XML report" }

// Detect recognizes the WAS report roots.
func (format) Detect(head []byte) int {
	if bytes.Contains(head, []byte("<WAS_SCAN_REPORT")) || bytes.Contains(head, []byte("<WAS_WEBAPP_REPORT")) {
		return 100
	}
	return 0
}

type encoded struct {
	Base64 string `xml:"base64,attr"`
	Value  string `xml:",chardata"`
}

func (e encoded) text() string {
	v := strings.TrimSpace(e.Value)
	if e.Base64 != "true" {
		return v
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(b)
}

type xmlVuln struct {
	UniqueID   string   `xml:"UNIQUE_ID"`
	QID        string   `xml:"QID"`
	URL        string   `xml:"URL"`
	Param      string   `xml:"PARAM"`
	AccessPath []string `xml:"ACCESS_PATH>URL"`
	Payloads   []struct {
		Payload string `xml:"PAYLOAD"`
		Request struct {
			Method string `xml:"METHOD"`
			URL    string `xml:"URL"`
		} `xml:"REQUEST"`
	} `xml:"PAYLOADS>PAYLOAD"`
	Data encoded `xml:"DATA"`
}

type glossary struct {
	QID         string `xml:"QID"`
	Category    string `xml:"CATEGORY"`
	Severity    string `xml:"SEVERITY"`
	Title       string `xml:"TITLE"`
	Group       string `xml:"GROUP"`
	Description string `xml:"DESCRIPTION"`
	Impact      string `xml:"IMPACT"`
	Solution    string `xml:"SOLUTION"`
	CWE         string `xml:"CWE"`
	CVEs        string `xml:"CVE_LIST"`
}

// detection is what is kept of one detection until the glossary is read.
type detection struct {
	qid, url, param, request, evidence string
	info                               bool
	app                                int // index into parser.apps
}

type parser struct {
	dec        *xml.Decoder
	detections []detection
	glossary   map[string]*glossary
	apps       []string // web application URLs: RESULTS/WEB_APPLICATION, APPENDIX/WEBAPP
	app        int      // current WEB_APPLICATION, -1 outside
	appendix   string   // APPENDIX/WEBAPP/URL
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	p := &parser{dec: xmlx.NewDecoder(r), glossary: map[string]*glossary{}, app: -1}
	dec := p.dec
	var stack []string
	root := false
	n := 0
	parent := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1]
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlx.Error(dec, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !root {
				if t.Name.Local != "WAS_SCAN_REPORT" && t.Name.Local != "WAS_WEBAPP_REPORT" {
					return xmlx.Errorf(dec, "expected a <WAS_SCAN_REPORT> or <WAS_WEBAPP_REPORT> root element, found <%s>", t.Name.Local)
				}
				root = true
				stack = append(stack, t.Name.Local)
				continue
			}
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			switch name, in := t.Name.Local, parent(); {
			case name == "VULNERABILITY" && in == "VULNERABILITY_LIST",
				name == "INFORMATION_GATHERED" && in == "INFORMATION_GATHERED_LIST":
				var v xmlVuln
				if err := dec.DecodeElement(&v, &t); err != nil {
					return xmlx.Error(dec, err)
				}
				if err := p.keep(&v, name == "INFORMATION_GATHERED"); err != nil {
					return err
				}
			case name == "QID" && in == "QID_LIST":
				var g glossary
				if err := dec.DecodeElement(&g, &t); err != nil {
					return xmlx.Error(dec, err)
				}
				if q := strings.TrimSpace(g.QID); q != "" {
					p.glossary[q] = &g
				}
			case name == "URL" && (in == "WEBAPP" || in == "WEB_APPLICATION"):
				var u string
				if err := dec.DecodeElement(&u, &t); err != nil {
					return xmlx.Error(dec, err)
				}
				if in == "WEBAPP" {
					if p.appendix == "" {
						p.appendix = strings.TrimSpace(u)
					}
				} else if p.app >= 0 {
					p.apps[p.app] = strings.TrimSpace(u)
				}
			default:
				if name == "WEB_APPLICATION" && in == "RESULTS" {
					p.apps = append(p.apps, "")
					p.app = len(p.apps) - 1
				}
				stack = append(stack, name)
			}
		case xml.EndElement:
			if len(stack) > 0 {
				if stack[len(stack)-1] == "WEB_APPLICATION" {
					p.app = -1
				}
				stack = stack[:len(stack)-1]
			}
		}
	}
	if !root {
		return xmlx.Errorf(dec, "empty document: expected a Qualys WAS report")
	}
	return p.emit(ctx, sink)
}

// keep stores the few fields of a detection that the observation needs.
func (p *parser) keep(v *xmlVuln, info bool) error {
	qid := strings.TrimSpace(v.QID)
	if qid == "" {
		return xmlx.Errorf(p.dec, "Qualys detection without a QID")
	}
	d := detection{qid: qid, url: strings.TrimSpace(v.URL), param: strings.TrimSpace(v.Param), info: info, app: p.app}
	if d.url == "" && len(v.AccessPath) > 0 {
		d.url = strings.TrimSpace(v.AccessPath[0])
	}
	if len(v.Payloads) > 0 {
		pl := v.Payloads[0]
		d.request = strings.TrimSpace(strings.TrimSpace(pl.Request.Method) + " " + strings.TrimSpace(pl.Request.URL))
		if v := strings.TrimSpace(pl.Payload); v != "" && v != "N/A" {
			d.evidence = "Payload: " + report.Truncate(v, 512)
		}
	}
	if info {
		d.evidence = report.Truncate(webtext.Tidy(v.Data.text()), 1024)
	}
	p.detections = append(p.detections, d)
	return nil
}

var cweRe = regexp.MustCompile(`(?i)CWE-(\d+)`)

// severities maps the glossary level 1..5 as Qualys' portal shows it.
var severities = map[string]model.Severity{
	"1": model.SevLow, "2": model.SevLow, "3": model.SevMedium, "4": model.SevHigh, "5": model.SevCritical,
}

func (p *parser) emit(ctx context.Context, sink report.Sink) error {
	seen := webfinding.Assets{}
	groups := webfinding.NewGrouper()
	// The web application of the report, for detections without a URL.
	home := func(d detection) (webfinding.Site, bool) {
		if d.app >= 0 && d.app < len(p.apps) {
			if s, ok := webfinding.ParseSite(p.apps[d.app], "https"); ok {
				return s, true
			}
		}
		return webfinding.ParseSite(p.appendix, "https")
	}
	if s, ok := webfinding.ParseSite(p.appendix, "https"); ok {
		// The scanned application is covered even without findings.
		if err := seen.Report(sink, s.Asset()); err != nil {
			return err
		}
	}
	for _, d := range p.detections {
		s, ok := webfinding.ParseSite(d.url, "https")
		if !ok {
			if s, ok = home(d); !ok {
				return xmlx.Errorf(p.dec, "Qualys QID %s detection without a URL and no web application URL in the report", d.qid)
			}
		}
		if err := seen.Report(sink, s.Asset()); err != nil {
			return err
		}
		g := p.glossary[d.qid]
		if g == nil {
			g = &glossary{}
		}
		title := strings.TrimSpace(g.Title)
		if title == "" {
			title = "Qualys QID " + d.qid
		}
		sev := model.SevInfo
		if !d.info {
			if v, ok := severities[strings.TrimSpace(g.Severity)]; ok {
				sev = v
			} else {
				sev = model.SevMedium
			}
		}
		u := d.url
		if u == "" {
			u = s.Origin + "/"
		}
		method, _, _ := strings.Cut(d.request, " ")
		f := model.Finding{
			Kind:        model.KindWebWeakness,
			Title:       title,
			Description: nonempty.Join("\n\n", webtext.FromHTML(g.Description), impact(g.Impact)),
			Severity:    sev,
			RuleID:      d.qid,
			Location:    model.Location{URL: u, Method: method, Param: d.param, Port: s.Port, Protocol: s.Scheme},
			Remediation: notApplicable(webtext.FromHTML(g.Solution)),
		}
		for _, m := range cweRe.FindAllStringSubmatch(g.CWE, -1) {
			report.AddCWE(&f, m[1])
		}
		if cves := report.FindCVEs(g.CVEs); len(cves) > 0 {
			f.Kind = model.KindVulnerability
			f.VulnID, f.Aliases = report.VulnIDs(cves...)
		}
		line := u
		if d.param != "" {
			line += " [" + d.param + "]"
		}
		groups.Add(d.qid, report.Observation{
			Asset:        s.Asset(),
			ToolID:       d.qid,
			ToolSeverity: strings.TrimSpace(g.Severity),
			Finding:      f,
		}, line, nonempty.Join("\n", d.request, d.evidence))
	}
	return groups.Flush(ctx, sink)
}

// notApplicable drops Qualys' "N/A" placeholders.
func notApplicable(s string) string {
	switch strings.ToLower(strings.Join(strings.Fields(s), " ")) {
	case "n/a", "not applicable.", "not applicable":
		return ""
	}
	return s
}

func impact(s string) string {
	if s = notApplicable(webtext.FromHTML(s)); s != "" {
		return "Impact: " + s
	}
	return ""
}
