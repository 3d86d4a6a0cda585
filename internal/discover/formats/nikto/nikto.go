// Package nikto parses Nikto reports: the XML output (-Format xml, one
// <scandetails> per target, old and nested <niktoscan> layouts) and the JSON
// output (-Format json, one object per target, alone or in an array).
//
// Nikto repeats one check's message for many URLs (a backup file found at
// 140 paths); like DefectDojo, ctem keeps one observation per message on one
// web application with every URL in the evidence. Nikto rates nothing:
// checks tied to an OSVDB entry are medium, the rest informational, as in
// DefectDojo.
package nikto

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Nikto format.
func New() report.Format { return format{} }

func (format) Name() string        { return "nikto" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Nikto XML or JSON report" }

// Detect recognizes the <niktoscan> root and the JSON target objects with
// their "vulnerabilities" holding Nikto's "msg" entries.
func (format) Detect(head []byte) int {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	switch t[0] {
	case '<':
		if bytes.Contains(t, []byte("<niktoscan")) {
			return 100
		}
	case '{', '[':
		if bytes.Contains(t, []byte(`"vulnerabilities"`)) && bytes.Contains(t, []byte(`"banner"`)) &&
			bytes.Contains(t, []byte(`"host"`)) && bytes.Contains(t, []byte(`"msg"`)) {
			return 90
		}
	}
	return 0
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReader(r)
	c, off, err := lead.Peek(br, "a Nikto report")
	if err != nil {
		return err
	}
	switch c {
	case '<':
		return parseXML(ctx, br, sink)
	case '{', '[':
		return parseJSON(ctx, br, sink, c)
	}
	return report.Errorf(off, "expected a Nikto XML or JSON report, found %q", c)
}

// target is a scanned web server with the address Nikto resolved.
type target struct {
	webfinding.Site
	ip string
}

func (t target) asset() report.AssetRef {
	a := t.Site.Asset()
	if ip := net.ParseIP(t.ip); ip != nil && ip.String() != t.Host {
		// Kept for reference, not as an identifier: many web
		// applications share one address (CDNs, virtual hosts).
		a.Attributes = map[string]string{"ip": ip.String()}
	}
	return a
}

// schemeFor guesses the scheme of a JSON target, which gives only a port.
func schemeFor(port string) string {
	switch port {
	case "443", "8443", "9443":
		return "https"
	}
	return "http"
}

// item is one Nikto result, from either report.
type item struct {
	id, osvdb, method, uri, msg, refs string
}

func add(groups *webfinding.Grouper, t target, it item) {
	msg := strings.TrimSpace(it.msg)
	if msg == "" {
		msg = "Nikto check " + it.id
	}
	id := strings.TrimSpace(it.id)
	if id == "" {
		id = msg
	}
	sev, word := model.SevInfo, "info"
	osvdb := strings.TrimSpace(it.osvdb)
	if osvdb != "" && osvdb != "0" {
		sev, word = model.SevMedium, "OSVDB-"+osvdb
	}
	u := t.Join(it.uri)
	method := strings.TrimSpace(it.method)
	f := model.Finding{
		Kind:       model.KindWebWeakness,
		Title:      report.Truncate(msg, 512),
		Severity:   sev,
		RuleID:     id,
		Location:   model.Location{URL: u, Method: method, Port: t.Port, Protocol: t.Scheme},
		References: webtext.Links(it.refs),
	}
	if cves := report.FindCVEs(msg + " " + it.refs); len(cves) > 0 {
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	line := strings.TrimSpace(method + " " + u)
	ev := line
	if word != "info" {
		ev += "\n" + word
	}
	groups.Add(msg, report.Observation{
		Asset:        t.asset(),
		ToolID:       id,
		ToolSeverity: word,
		Finding:      f,
	}, line, ev)
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}
