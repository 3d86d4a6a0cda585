// Package burpdastardly parses the JUnit XML report of Burp Dastardly, the
// CI scanner from PortSwigger: one <testsuite> per crawled URL and one
// <failure> per issue found there, its text holding the issue in sections
// (Severity, Host, Path, Issue Detail, Evidence, Vulnerability
// Classifications...). Each failure is one observation, as Dastardly and
// DefectDojo count them.
package burpdastardly

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
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

// New returns the Dastardly format.
func New() report.Format { return format{} }

func (format) Name() string        { return "burp_dastardly" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Burp Dastardly JUnit XML report" }

// Detect wants a JUnit <testsuites> document that names Dastardly; plain
// JUnit reports of other tools are not claimed.
func (format) Detect(head []byte) int {
	if !bytes.Contains(head, []byte("<testsuites")) || !bytes.Contains(head, []byte("<testsuite ")) {
		return 0
	}
	if bytes.Contains(head, []byte("Dastardly scan results")) {
		return 100
	}
	if bytes.Contains(head, []byte("Reported by Dastardly")) {
		return 90
	}
	return 0
}

type failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	seen := webfinding.Assets{}
	root := false
	var suite, testcase string
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
			if se.Name.Local != "testsuites" && se.Name.Local != "testsuite" {
				return xmlx.Errorf(dec, "expected a JUnit <testsuites> root element, found <%s>", se.Name.Local)
			}
			root = true
			if se.Name.Local == "testsuites" {
				continue
			}
		}
		switch se.Name.Local {
		case "testsuite":
			// Each suite is a crawled URL; its site is covered by the
			// scan whether or not something was found there.
			suite = xmlx.Attr(se, "name")
			if s, ok := webfinding.ParseSite(suite, "https"); ok {
				if err := seen.Report(sink, s.Asset()); err != nil {
					return err
				}
			}
		case "testcase":
			testcase = xmlx.Attr(se, "name")
		case "failure":
			var f failure
			if err := dec.DecodeElement(&f, &se); err != nil {
				return xmlx.Error(dec, err)
			}
			obs, err := observation(suite, testcase, &f)
			if err != nil {
				return xmlx.Errorf(dec, "%v", err)
			}
			if err := seen.Report(sink, obs.Asset); err != nil {
				return err
			}
			if err := sink.Observe(obs); err != nil {
				return err
			}
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	}
	if !root {
		return xmlx.Errorf(dec, "empty document: expected a Dastardly <testsuites> report")
	}
	return nil
}

// headings are the section titles of a Dastardly failure text.
var headings = map[string]bool{
	"Issue Detail": true, "Issue Background": true, "Issue Remediation": true, "Remediation Detail": true,
	"Remediation Background": true, "Evidence": true, "References": true, "Vulnerability Classifications": true,
}

var (
	cweRe = regexp.MustCompile(`CWE-(\d+)`)
	// Burp names the input in the detail: "The value of the searchTerm
	// request parameter is copied into...".
	paramRe = regexp.MustCompile(`The (?:value|name) of the (\S+) (?:[A-Za-z]+ )?(?:parameter|cookie|header)`)
)

// sections splits a failure text into its leading "Key: value" fields and
// its titled sections.
func sections(text string) (fields, secs map[string]string) {
	fields, secs = map[string]string{}, map[string]string{}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur != "" {
			secs[cur] = webtext.Tidy(b.String())
		}
		b.Reset()
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if headings[t] {
			flush()
			cur = t
			continue
		}
		if cur == "" {
			if k, v, ok := strings.Cut(t, ": "); ok {
				fields[k] = strings.TrimSpace(v)
			}
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flush()
	return fields, secs
}

func observation(suite, testcase string, f *failure) (report.Observation, error) {
	fields, secs := sections(f.Text)
	host := fields["Host"]
	if host == "" {
		host = suite
	}
	s, ok := webfinding.ParseSite(host, "https")
	if !ok {
		return report.Observation{}, fmt.Errorf("Dastardly issue %q without a valid host (%q)", testcase, host)
	}
	name := strings.TrimSpace(testcase)
	if name == "" {
		name, _, _ = strings.Cut(f.Message, " found at ")
		name = strings.TrimSpace(name)
	}
	if name == "" {
		return report.Observation{}, fmt.Errorf("Dastardly failure without an issue name")
	}
	sevWord := f.Type
	if sevWord == "" {
		sevWord = fields["Severity"]
	}
	u := s.Join(fields["Path"])
	req := ""
	if ev := secs["Evidence"]; ev != "" {
		_, after, _ := strings.Cut(ev, "Request:")
		req = webtext.FirstLine(after)
	}
	method, _, _ := strings.Cut(req, " ")
	var param string
	if m := paramRe.FindStringSubmatch(secs["Issue Detail"]); m != nil {
		param = m[1]
	}
	fd := model.Finding{
		Kind:        model.KindWebWeakness,
		Title:       name,
		Description: nonempty.Join("\n\n", secs["Issue Detail"], secs["Issue Background"]),
		Severity:    report.SeverityOr(sevWord, model.SevInfo),
		RuleID:      name,
		Location:    model.Location{URL: u, Method: method, Param: param, Port: s.Port, Protocol: s.Scheme},
		Remediation: nonempty.Join("\n\n", secs["Remediation Detail"], secs["Issue Remediation"], secs["Remediation Background"]),
		References:  webtext.Links(secs["References"]),
	}
	for _, m := range cweRe.FindAllStringSubmatch(secs["Vulnerability Classifications"], -1) {
		report.AddCWE(&fd, m[1])
	}
	if cves := report.FindCVEs(secs["Issue Detail"]); len(cves) > 0 {
		// The vulnerable-dependency check lists the library's CVEs.
		fd.Kind = model.KindVulnerability
		fd.VulnID, fd.Aliases = report.VulnIDs(cves...)
	}
	ev := nonempty.Join("\n", req, report.Truncate(secs["Issue Detail"], 1024))
	return report.Observation{
		Asset:        s.Asset(),
		ToolID:       name,
		ToolSeverity: sevWord,
		Evidence:     report.Truncate(ev, 4<<10),
		Finding:      fd,
	}, nil
}
