// Package burpapi parses the scan status JSON of the Burp Suite REST API
// (GET /v0.1/scan/{task_id}): its issue_events array, one event per issue
// instance. Each issue_found event is one observation, as Burp and
// DefectDojo count them.
package burpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/burpissue"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Burp REST API format.
func New() report.Format { return format{} }

func (format) Name() string        { return "burp_api" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Burp Suite REST API scan JSON (issue_events)" }

// Detect wants the issue_events array with Burp's scan status keys or its
// issue fields.
func (format) Detect(head []byte) int {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 || t[0] != '{' || !bytes.Contains(t, []byte(`"issue_events"`)) {
		return 0
	}
	switch {
	case bytes.Contains(t, []byte(`"type_index"`)) && bytes.Contains(t, []byte(`"serial_number"`)):
		return 95
	case bytes.Contains(t, []byte(`"scan_status"`)) || bytes.Contains(t, []byte(`"scan_metrics"`)):
		return 85
	}
	return 0
}

type segment struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

type issue struct {
	Name                  string      `json:"name"`
	TypeIndex             json.Number `json:"type_index"`
	SerialNumber          string      `json:"serial_number"`
	Origin                string      `json:"origin"`
	Path                  string      `json:"path"`
	Severity              string      `json:"severity"`
	Confidence            string      `json:"confidence"`
	Description           string      `json:"description"`
	Remediation           string      `json:"remediation"`
	IssueBackground       string      `json:"issue_background"`
	RemediationBackground string      `json:"remediation_background"`
	References            string      `json:"references"`
	Classifications       string      `json:"vulnerability_classifications"`
	Caption               string      `json:"caption"`
	Evidence              []struct {
		Type            string `json:"type"`
		RequestResponse *struct {
			URL     string    `json:"url"`
			Request []segment `json:"request"`
		} `json:"request_response"`
	} `json:"evidence"`
}

type event struct {
	Type  string `json:"type"`
	Issue *issue `json:"issue"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(r)
	seen := webfinding.Assets{}
	sawEvents := false
	err := js.Object(func(key string) error {
		if key != "issue_events" {
			return js.Skip()
		}
		sawEvents = true
		return js.Array(func(i int) error {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var ev event
			if err := js.Decode(&ev); err != nil {
				return err
			}
			if ev.Type != "issue_found" || ev.Issue == nil {
				return nil
			}
			return observe(sink, seen, ev.Issue, js.Offset())
		})
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !sawEvents {
		return report.Errorf(js.Offset(), "not a Burp REST API scan: no \"issue_events\" array")
	}
	return nil
}

var cweRe = regexp.MustCompile(`CWE-(\d+)`)

func observe(sink report.Sink, seen webfinding.Assets, is *issue, off int64) error {
	if strings.EqualFold(is.Severity, "false_positive") {
		// Marked as a false positive in Burp: not an exposure.
		return nil
	}
	s, ok := webfinding.ParseSite(is.Origin, "https")
	if !ok {
		return report.Errorf(off, "Burp issue %q without a valid origin (%q)", is.Name, is.Origin)
	}
	if err := seen.Report(sink, s.Asset()); err != nil {
		return err
	}
	typ := strings.TrimSpace(is.TypeIndex.String())
	name := strings.TrimSpace(is.Name)
	if name == "" {
		name = "Burp issue " + typ
	}
	if typ == "" {
		typ = name
	}
	param := burpissue.Param(is.Caption)
	req := ""
	for _, e := range is.Evidence {
		if e.RequestResponse != nil {
			if req = requestLine(e.RequestResponse.Request); req != "" {
				break
			}
		}
	}
	method, _, _ := strings.Cut(req, " ")
	sev, ok := report.Severity(is.Severity)
	if !ok {
		// "undefined" and anything new: Burp has not rated it.
		sev = model.SevInfo
	}
	f := model.Finding{
		Kind:        model.KindWebWeakness,
		Title:       name,
		Description: nonempty.Join("\n\n", webtext.FromHTML(is.Description), webtext.FromHTML(is.IssueBackground)),
		Severity:    sev,
		RuleID:      typ,
		Location:    model.Location{URL: s.Join(is.Path), Method: method, Param: param, Port: s.Port, Protocol: s.Scheme},
		Remediation: nonempty.Join("\n\n", webtext.FromHTML(is.Remediation), webtext.FromHTML(is.RemediationBackground)),
		References:  webtext.Links(is.References),
	}
	for _, m := range cweRe.FindAllStringSubmatch(is.Classifications, -1) {
		report.AddCWE(&f, m[1])
	}
	if cves := report.FindCVEs(is.Description); len(cves) > 0 {
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	ev := nonempty.Join("\n", req, report.Truncate(webtext.FromHTML(is.Description), 1024))
	return sink.Observe(report.Observation{
		Asset:        s.Asset(),
		ToolID:       typ,
		ToolSeverity: is.Severity,
		Evidence:     report.Truncate(ev, 4<<10),
		Finding:      f,
	})
}

// requestLine decodes the first Base64 segments of a request until its first
// line is complete; a request that does not decode yields nothing.
func requestLine(segs []segment) string {
	var b []byte
	for _, sg := range segs {
		d, err := base64.StdEncoding.DecodeString(sg.Data)
		if err != nil {
			return ""
		}
		b = append(b, d...)
		if bytes.IndexByte(b, '\n') >= 0 || len(b) > 8<<10 {
			break
		}
	}
	return webtext.FirstLine(string(b))
}
