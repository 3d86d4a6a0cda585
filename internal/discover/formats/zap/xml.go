package zap

import (
	"context"
	"encoding/xml"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

// parseXML streams <site> elements and decodes their alert items one at a
// time.
func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	seen := webfinding.Assets{}
	root := false
	var cur webfinding.Site
	known := false
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
			if se.Name.Local != "OWASPZAPReport" {
				return xmlx.Errorf(dec, "expected an <OWASPZAPReport> root element, found <%s>", se.Name.Local)
			}
			root = true
			continue
		}
		switch se.Name.Local {
		case "site":
			cur, known = siteOf(xmlx.Attr(se, "name"), xmlx.Attr(se, "host"), xmlx.Attr(se, "port"), xmlx.Attr(se, "ssl"))
			if known {
				// The site was scanned, with or without alerts.
				if err := seen.Report(sink, cur.Asset()); err != nil {
					return err
				}
			}
		case "alertitem":
			var a alert
			if err := dec.DecodeElement(&a, &se); err != nil {
				return xmlx.Error(dec, err)
			}
			err := observe(ctx, sink, seen, cur, known, &a, func() error {
				return xmlx.Errorf(dec, "ZAP alert %q outside a site with a valid name", a.Alert)
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
		return xmlx.Errorf(dec, "empty document: expected an <OWASPZAPReport>")
	}
	return nil
}
