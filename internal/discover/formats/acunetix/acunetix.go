// Package acunetix parses Acunetix reports: the XML export of the Acunetix
// desktop/on-premises scanner (ScanGroup/Scan/ReportItems) and the JSON
// report of Acunetix 360 (Generated/Target/Vulnerabilities).
//
// Both group their issues the way DefectDojo and the tools' own issue lists
// do: one observation per issue name on one web application, located at one
// of its URLs (the lowest, for a stable identity), with every affected URL in
// the evidence.
package acunetix

import (
	"bufio"
	"bytes"
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the Acunetix format.
func New() report.Format { return format{} }

func (format) Name() string        { return "acunetix" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Acunetix XML export and Acunetix 360 JSON report" }

// Detect recognizes the XML export by its ScanGroup root with Scan and
// report items, and the 360 JSON by its top-level keys.
func (format) Detect(head []byte) int {
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) == 0 {
		return 0
	}
	switch head[0] {
	case '<':
		if !bytes.Contains(head, []byte("<ScanGroup")) || !bytes.Contains(head, []byte("<Scan>")) {
			return 0
		}
		if bytes.Contains(head, []byte("<StartURL>")) && (bytes.Contains(head, []byte("<ReportItems")) || bytes.Contains(head, []byte("<Crawler"))) {
			return 95
		}
		if bytes.Contains(head, []byte("<StartURL>")) {
			return 70
		}
	case '{':
		if !bytes.Contains(head, []byte(`"Vulnerabilities"`)) || !bytes.Contains(head, []byte(`"Target"`)) || !bytes.Contains(head, []byte(`"Generated"`)) {
			return 0
		}
		switch {
		case bytes.Contains(head, []byte("Acunetix")) || bytes.Contains(head, []byte("acunetix")):
			return 95
		case bytes.Contains(head, []byte("Netsparker")) || bytes.Contains(head, []byte("Invicti")):
			// Same report layout from the sister products: leave these
			// to a dedicated parser when there is one.
			return 30
		case bytes.Contains(head, []byte(`"ScanId"`)):
			return 75
		}
		return 60
	}
	return 0
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReader(r)
	c, off, err := lead.Peek(br, "an Acunetix report")
	if err != nil {
		return err
	}
	switch c {
	case '<':
		return parseXML(ctx, br, sink)
	case '{':
		return parseJSON(ctx, br, sink)
	}
	return report.Errorf(off, "expected an Acunetix XML export or an Acunetix 360 JSON report, found %q", c)
}
