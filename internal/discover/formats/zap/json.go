package zap

import (
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/report"
)

// parseJSON streams the "site" array of a ZAP JSON report and each site's
// "alerts" array.
func parseJSON(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(r)
	seen := webfinding.Assets{}
	sawSites := false
	n := 0
	err := js.Object(func(key string) error {
		if key != "site" {
			return js.Skip()
		}
		sawSites = true
		return js.Array(func(int) error {
			var name, host, port, ssl string
			var cur webfinding.Site
			known := false
			return js.Object(func(key string) error {
				switch key {
				case "@name":
					return js.Decode(&name)
				case "@host":
					return js.Decode(&host)
				case "@port":
					return js.Decode(&port)
				case "@ssl":
					return js.Decode(&ssl)
				case "alerts":
					// ZAP writes the site's attributes first.
					cur, known = siteOf(name, host, port, ssl)
					if known {
						if err := seen.Report(sink, cur.Asset()); err != nil {
							return err
						}
					}
					return js.Array(func(int) error {
						var a alert
						if err := js.Decode(&a); err != nil {
							return err
						}
						if n++; n%256 == 0 {
							if err := ctx.Err(); err != nil {
								return err
							}
						}
						return observe(ctx, sink, seen, cur, known, &a, func() error {
							return report.Errorf(js.Offset(), "ZAP alert %q in a site without a valid @name", a.Alert)
						})
					})
				}
				return js.Skip()
			})
		})
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !sawSites {
		return report.Errorf(js.Offset(), "not a ZAP JSON report: no \"site\" array")
	}
	return nil
}
