package zap

import (
	"context"
	"encoding/xml"
	"io"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// parseXML streams <site> elements and decodes their alert items one at a
// time.
func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := newXMLDecoder(r)
	seen := assets{}
	root := false
	var cur site
	known := false
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
			if se.Name.Local != "OWASPZAPReport" {
				return xmlErrorf(dec, "expected an <OWASPZAPReport> root element, found <%s>", se.Name.Local)
			}
			root = true
			continue
		}
		switch se.Name.Local {
		case "site":
			cur, known = siteOf(attr(se, "name"), attr(se, "host"), attr(se, "port"), attr(se, "ssl"))
			if known {
				// The site was scanned, with or without alerts.
				if err := seen.report(sink, cur.asset()); err != nil {
					return err
				}
			}
		case "alertitem":
			var a alert
			if err := dec.DecodeElement(&a, &se); err != nil {
				return xmlError(dec, err)
			}
			err := observe(ctx, sink, seen, cur, known, &a, func() error {
				return xmlErrorf(dec, "ZAP alert %q outside a site with a valid name", a.Alert)
			})
			if err != nil {
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
		return xmlErrorf(dec, "empty document: expected an <OWASPZAPReport>")
	}
	return nil
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
