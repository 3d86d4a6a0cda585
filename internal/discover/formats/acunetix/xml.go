package acunetix

import (
	"context"
	"encoding/xml"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type xmlItem struct {
	Name                string   `xml:"Name"`
	ModuleName          string   `xml:"ModuleName"`
	Details             string   `xml:"Details"`
	Affects             string   `xml:"Affects"`
	Parameter           string   `xml:"Parameter"`
	Severity            string   `xml:"Severity"`
	Type                string   `xml:"Type"`
	Impact              string   `xml:"Impact"`
	Description         string   `xml:"Description"`
	DetailedInformation string   `xml:"DetailedInformation"`
	Recommendation      string   `xml:"Recommendation"`
	Requests            []string `xml:"TechnicalDetails>Request"`
	CWEs                []string `xml:"CWEList>CWE"`
	CVEs                []string `xml:"CVEList>CVE"`
	CVSS2               string   `xml:"CVSS>Descriptor"`
	CVSS3               string   `xml:"CVSS3>Descriptor"`
	References          []struct {
		Database string `xml:"Database"`
		URL      string `xml:"URL"`
	} `xml:"References>Reference"`
}

// parseXML streams ScanGroup/Scan elements; each Scan names its target in
// StartURL (and the crawler's StartUrl, which carries the scheme) before its
// ReportItems.
func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	seen := webfinding.Assets{}
	groups := webfinding.NewGrouper()
	var (
		root               bool
		inScan             bool
		startURL, crawlURL string
		target             webfinding.Site
		haveTarget         bool
		n                  int
	)
	// resolve fixes the scan's target once its URL elements have been read.
	resolve := func() error {
		if haveTarget {
			return nil
		}
		for _, u := range []string{crawlURL, startURL} {
			if s, ok := webfinding.ParseSite(u, "http"); ok {
				target, haveTarget = s, true
				return seen.Report(sink, s.Asset())
			}
		}
		return xmlx.Errorf(dec, "Acunetix scan without a usable StartURL (%q)", startURL)
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
				if t.Name.Local != "ScanGroup" {
					return xmlx.Errorf(dec, "expected an Acunetix <ScanGroup> root element, found <%s>", t.Name.Local)
				}
				root = true
				continue
			}
			switch t.Name.Local {
			case "Scan":
				inScan, haveTarget, startURL, crawlURL = true, false, "", ""
			case "StartURL":
				if inScan {
					if err := dec.DecodeElement(&startURL, &t); err != nil {
						return xmlx.Error(dec, err)
					}
				}
			case "Crawler":
				for _, a := range t.Attr {
					if a.Name.Local == "StartUrl" && inScan {
						crawlURL = a.Value
					}
				}
			case "ReportItem":
				if !inScan {
					return xmlx.Errorf(dec, "<ReportItem> outside a <Scan>")
				}
				var it xmlItem
				if err := dec.DecodeElement(&it, &t); err != nil {
					return xmlx.Error(dec, err)
				}
				if err := resolve(); err != nil {
					return err
				}
				addXMLItem(groups, target, &it)
				if n++; n%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
		case xml.EndElement:
			if t.Name.Local == "Scan" && inScan {
				// A scan without issues still covers its target.
				if startURL != "" || crawlURL != "" {
					if err := resolve(); err != nil {
						return err
					}
				}
				inScan = false
			}
		}
	}
	if !root {
		return xmlx.Errorf(dec, "empty document: expected an Acunetix <ScanGroup>")
	}
	return groups.Flush(ctx, sink)
}

func addXMLItem(groups *webfinding.Grouper, target webfinding.Site, it *xmlItem) {
	name := strings.TrimSpace(it.Name)
	if name == "" {
		name = strings.TrimSpace(it.Type)
	}
	rule := strings.TrimSpace(it.ModuleName)
	if rule == "" {
		rule = strings.TrimSpace(it.Type)
	}
	if rule == "" {
		rule = name
	}
	param := strings.TrimSpace(it.Parameter)
	if param == "<empty>" {
		// Acunetix writes <empty> for forms without a name.
		param = ""
	}
	u := target.Join(it.Affects)
	method := ""
	req := ""
	if len(it.Requests) > 0 {
		req = webtext.FirstLine(it.Requests[0])
		method, _, _ = strings.Cut(req, " ")
	}
	f := model.Finding{
		Kind:        model.KindWebWeakness,
		Title:       name,
		Description: nonempty.Join("\n\n", webtext.FromHTML(it.Description), webtext.FromHTML(it.Impact), webtext.FromHTML(it.DetailedInformation)),
		Severity:    report.SeverityOr(it.Severity, model.SevInfo),
		RuleID:      rule,
		Location:    model.Location{URL: u, Method: method, Param: param, Port: target.Port, Protocol: target.Scheme},
		Remediation: webtext.FromHTML(it.Recommendation),
	}
	for _, c := range it.CWEs {
		report.AddCWE(&f, c)
	}
	var cves []string
	for _, c := range it.CVEs {
		cves = append(cves, report.FindCVEs(c)...)
	}
	if len(cves) > 0 {
		// A known CVE (vulnerable library, outdated server) makes it a
		// vulnerability rather than a weakness of the application.
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	report.AddCVSS(&f, it.CVSS3)
	report.AddCVSS(&f, it.CVSS2)
	for _, ref := range it.References {
		f.References = appendOnce(f.References, strings.TrimSpace(ref.URL))
	}
	details := webtext.FromHTML(it.Details)
	ev := strings.TrimSpace(nonempty.Join("\n", req, report.Truncate(details, 1024)))
	line := u
	if param != "" {
		line += " [" + param + "]"
	}
	if details != "" {
		line += " " + report.Truncate(strings.ReplaceAll(details, "\n", " "), 200)
	}
	groups.Add(name, report.Observation{
		Asset:        target.Asset(),
		ToolID:       rule,
		ToolSeverity: it.Severity,
		Finding:      f,
	}, line, ev)
}

func appendOnce(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, have := range list {
		if have == v {
			return list
		}
	}
	return append(list, v)
}
