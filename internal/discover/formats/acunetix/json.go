package acunetix

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type cvssVector struct {
	Vector string `json:"Vector"`
}

type a360Vuln struct {
	Name           string `json:"Name"`
	Type           string `json:"Type"`
	URL            string `json:"Url"`
	Severity       string `json:"Severity"`
	State          string `json:"State"`
	Classification *struct {
		Cwe    string      `json:"Cwe"`
		Cvss   *cvssVector `json:"Cvss"`
		Cvss31 *cvssVector `json:"Cvss31"`
	} `json:"Classification"`
	Description        string `json:"Description"`
	Impact             string `json:"Impact"`
	RemedialActions    string `json:"RemedialActions"`
	RemedialProcedure  string `json:"RemedialProcedure"`
	RemedyReferences   string `json:"RemedyReferences"`
	ExternalReferences string `json:"ExternalReferences"`
	ProofOfConcept     string `json:"ProofOfConcept"`
	LookupID           string `json:"LookupId"`
	ExtraInformation   []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"ExtraInformation"`
	HTTPRequest struct {
		Content    string `json:"Content"`
		Method     string `json:"Method"`
		Parameters []struct {
			Name       string `json:"Name"`
			Vulnerable bool   `json:"Vulnerable"`
		} `json:"Parameters"`
	} `json:"HttpRequest"`
	KnownVulnerabilities json.RawMessage `json:"KnownVulnerabilities"`
}

// parseJSON streams the Vulnerabilities array of an Acunetix 360 report.
func parseJSON(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(r)
	seen := webfinding.Assets{}
	groups := webfinding.NewGrouper()
	sawVulns := false
	err := js.Object(func(key string) error {
		switch key {
		case "Target":
			var t struct {
				URL string `json:"Url"`
			}
			if err := js.Decode(&t); err != nil {
				return err
			}
			// The scan target is covered even when nothing was found.
			if s, ok := webfinding.ParseSite(t.URL, "https"); ok {
				return seen.Report(sink, s.Asset())
			}
			return nil
		case "Vulnerabilities":
			sawVulns = true
			return js.Array(func(i int) error {
				if i%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				var v a360Vuln
				if err := js.Decode(&v); err != nil {
					return err
				}
				return add360(groups, seen, sink, &v, js.Offset())
			})
		}
		return js.Skip()
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !sawVulns {
		return report.Errorf(js.Offset(), "not an Acunetix 360 report: no \"Vulnerabilities\" array")
	}
	return groups.Flush(ctx, sink)
}

func add360(groups *webfinding.Grouper, seen webfinding.Assets, sink report.Sink, v *a360Vuln, off int64) error {
	for _, st := range strings.Split(v.State, ",") {
		// Fixed issues are listed for the record; they are not present.
		if strings.HasPrefix(strings.TrimSpace(st), "Fixed") {
			return nil
		}
	}
	s, ok := webfinding.ParseSite(v.URL, "https")
	if !ok {
		return report.Errorf(off, "Acunetix 360 vulnerability %q without a valid Url (%q)", v.Name, v.URL)
	}
	if err := seen.Report(sink, s.Asset()); err != nil {
		return err
	}
	name := strings.TrimSpace(v.Name)
	rule := strings.TrimSpace(v.Type)
	if rule == "" {
		rule = name
	}
	if name == "" {
		name = rule
	}
	req := webtext.FirstLine(v.HTTPRequest.Content)
	method := strings.TrimSpace(v.HTTPRequest.Method)
	if method == "" {
		method, _, _ = strings.Cut(req, " ")
	}
	var param string
	for _, p := range v.HTTPRequest.Parameters {
		if p.Vulnerable {
			param = p.Name
			break
		}
	}
	f := model.Finding{
		Kind:        model.KindWebWeakness,
		Title:       name,
		Description: nonempty.Join("\n\n", webtext.FromHTML(v.Description), webtext.FromHTML(v.Impact)),
		Severity:    report.SeverityOr(v.Severity, model.SevInfo),
		RuleID:      rule,
		Location:    model.Location{URL: v.URL, Method: method, Param: param, Port: s.Port, Protocol: s.Scheme},
		Remediation: nonempty.Join("\n\n", webtext.FromHTML(v.RemedialProcedure), webtext.FromHTML(v.RemedialActions)),
	}
	if c := v.Classification; c != nil {
		for _, cwe := range strings.Split(c.Cwe, ",") {
			report.AddCWE(&f, cwe)
		}
		if c.Cvss != nil {
			report.AddCVSS(&f, c.Cvss.Vector)
		}
		if c.Cvss31 != nil {
			report.AddCVSS(&f, c.Cvss31.Vector)
		}
	}
	if cves := report.FindCVEs(string(v.KnownVulnerabilities)); len(cves) > 0 {
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	if v.LookupID != "" {
		// The page in the Acunetix 360 console.
		f.References = append(f.References, "https://online.acunetix360.com/issues/detail/"+v.LookupID)
	}
	for _, l := range webtext.Links(v.RemedyReferences + " " + v.ExternalReferences) {
		f.References = appendOnce(f.References, l)
	}
	var ev []string
	ev = append(ev, req)
	for _, x := range v.ExtraInformation {
		ev = append(ev, fmt.Sprintf("%s: %s", strings.TrimSpace(x.Name), report.Truncate(strings.TrimSpace(x.Value), 256)))
	}
	if poc := webtext.FromHTML(v.ProofOfConcept); poc != "" {
		ev = append(ev, report.Truncate(poc, 1024))
	}
	line := method + " " + v.URL
	if param != "" {
		line += " [" + param + "]"
	}
	groups.Add(name, report.Observation{
		Asset:        s.Asset(),
		ToolID:       rule,
		ToolSeverity: v.Severity,
		Finding:      f,
	}, strings.TrimSpace(line), nonempty.Join("\n", ev...))
	return nil
}
