// Package zap parses OWASP ZAP reports: the traditional XML report
// (<OWASPZAPReport>) and the traditional JSON report (site/alerts). Each
// alert of a site is one observation, as ZAP and DefectDojo count them,
// located at one of its instances (the lowest URL, for a stable identity)
// with every instance in the evidence.
package zap

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the ZAP format.
func New() report.Format { return format{} }

func (format) Name() string        { return "zap" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "OWASP ZAP XML or JSON report" }

// Detect recognizes the <OWASPZAPReport> root and the JSON report's
// "@programName"/"@version" + "site" keys.
func (format) Detect(head []byte) int {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	switch t[0] {
	case '<':
		if bytes.Contains(t, []byte("<OWASPZAPReport")) {
			return 100
		}
	case '{':
		site := bytes.Contains(t, []byte(`"site"`))
		switch {
		case site && bytes.Contains(t, []byte(`"@programName"`)) && bytes.Contains(t, []byte(`ZAP`)):
			return 100
		case site && bytes.Contains(t, []byte(`"@version"`)) && (bytes.Contains(t, []byte(`"alerts"`)) || bytes.Contains(t, []byte(`"@generated"`))):
			return 85
		}
	}
	return 0
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReader(r)
	c, off, err := lead.Peek(br, "a ZAP report")
	if err != nil {
		return err
	}
	switch c {
	case '<':
		return parseXML(ctx, br, sink)
	case '{':
		return parseJSON(ctx, br, sink)
	}
	return report.Errorf(off, "expected a ZAP XML or JSON report, found %q", c)
}

// alert is one ZAP alert, with the field names of both reports.
type alert struct {
	PluginID   string     `xml:"pluginid" json:"pluginid"`
	AlertRef   string     `xml:"alertRef" json:"alertRef"`
	Alert      string     `xml:"alert" json:"alert"`
	Name       string     `xml:"name" json:"name"`
	RiskCode   string     `xml:"riskcode" json:"riskcode"`
	Confidence string     `xml:"confidence" json:"confidence"`
	RiskDesc   string     `xml:"riskdesc" json:"riskdesc"`
	Desc       string     `xml:"desc" json:"desc"`
	Instances  []instance `xml:"instances>instance" json:"instances"`
	Solution   string     `xml:"solution" json:"solution"`
	OtherInfo  string     `xml:"otherinfo" json:"otherinfo"`
	Reference  string     `xml:"reference" json:"reference"`
	CWEID      string     `xml:"cweid" json:"cweid"`
}

type instance struct {
	URI       string `xml:"uri" json:"uri"`
	Method    string `xml:"method" json:"method"`
	Param     string `xml:"param" json:"param"`
	Attack    string `xml:"attack" json:"attack"`
	Evidence  string `xml:"evidence" json:"evidence"`
	OtherInfo string `xml:"otherinfo" json:"otherinfo"`
}

// siteOf is the web application of a <site> (or JSON site): its name is
// the origin; host, port and ssl rebuild it when the name is missing.
func siteOf(name, host, port, ssl string) (webfinding.Site, bool) {
	if s, ok := webfinding.ParseSite(name, "http"); ok {
		return s, true
	}
	if host == "" {
		return webfinding.Site{}, false
	}
	scheme := "http"
	if ssl == "true" {
		scheme = "https"
	}
	if port != "" {
		host += ":" + port
	}
	return webfinding.ParseSite(scheme+"://"+host, scheme)
}

var riskWords = map[string]model.Severity{"0": model.SevInfo, "1": model.SevLow, "2": model.SevMedium, "3": model.SevHigh}

// observe emits one alert of a site. known says whether the site itself
// was named; otherwise the first instance's URL places the alert.
func observe(ctx context.Context, sink report.Sink, seen webfinding.Assets, s webfinding.Site, known bool, a *alert, off func() error) error {
	if !known && len(a.Instances) > 0 {
		if is, ok := webfinding.ParseSite(a.Instances[0].URI, "http"); ok {
			s, known = is, true
		}
	}
	if !known {
		return off()
	}
	if err := seen.Report(sink, s.Asset()); err != nil {
		return err
	}
	title := strings.TrimSpace(a.Alert)
	if title == "" {
		title = strings.TrimSpace(a.Name)
	}
	id := strings.TrimSpace(a.PluginID)
	rule := strings.TrimSpace(a.AlertRef)
	if rule == "" {
		rule = id
	}
	if id == "" {
		id = rule
	}
	if id == "" {
		id = title
		rule = title
	}
	sev, ok := riskWords[strings.TrimSpace(a.RiskCode)]
	if !ok {
		sev = report.SeverityOr(riskWord(a.RiskDesc), model.SevInfo)
	}
	toolSev := riskWord(a.RiskDesc)
	if toolSev == "" {
		toolSev = a.RiskCode
	}
	f := model.Finding{
		Kind:        model.KindWebWeakness,
		Title:       title,
		Description: webtext.FromHTML(a.Desc),
		Severity:    sev,
		RuleID:      rule,
		Location:    model.Location{URL: s.Origin + "/", Port: s.Port, Protocol: s.Scheme},
		Remediation: webtext.FromHTML(a.Solution),
		References:  webtext.Links(a.Reference),
	}
	if n, err := strconv.Atoi(strings.TrimSpace(a.CWEID)); err == nil && n > 0 {
		report.AddCWE(&f, a.CWEID)
	}
	if cves := report.FindCVEs(a.OtherInfo + " " + a.Reference); len(cves) > 0 {
		// Vulnerable JS library and similar alerts name CVEs.
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	obs := report.Observation{Asset: s.Asset(), ToolID: id, ToolSeverity: toolSev, Finding: f}
	g := webfinding.NewGrouper()
	first := report.Truncate(webtext.FromHTML(a.OtherInfo), 1024)
	if len(a.Instances) == 0 {
		g.Add(id, obs, "", first)
	}
	for _, in := range a.Instances {
		line := strings.TrimSpace(strings.TrimSpace(in.Method) + " " + strings.TrimSpace(in.URI))
		if p := strings.TrimSpace(in.Param); p != "" {
			line += " [" + p + "]"
		}
		if ev := strings.TrimSpace(in.Evidence); ev != "" {
			line += " " + report.Truncate(strings.Join(strings.Fields(ev), " "), 200)
		}
		other := report.Truncate(webtext.Tidy(in.OtherInfo), 512)
		if strings.HasPrefix(first, other) {
			// ZAP 2.16 repeats the first instance's note on the alert.
			other = ""
		}
		obs.Finding.Location.URL = s.Origin + "/"
		if u := strings.TrimSpace(in.URI); u != "" {
			obs.Finding.Location.URL = u
		}
		obs.Finding.Location.Method = strings.TrimSpace(in.Method)
		obs.Finding.Location.Param = strings.TrimSpace(in.Param)
		g.Add(id, obs, line, nonempty.Join("\n", line, attack(in.Attack), other, first))
	}
	return g.Flush(ctx, sink)
}

func attack(a string) string {
	if a = strings.TrimSpace(a); a != "" {
		return "Attack: " + report.Truncate(a, 256)
	}
	return ""
}

// riskWord is the risk of "Medium (High)": the word before the confidence.
func riskWord(desc string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(desc), " (")
	return strings.TrimSpace(w)
}
