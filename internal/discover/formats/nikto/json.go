package nikto

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type jsonVuln struct {
	ID         string `json:"id"`
	OSVDB      string `json:"OSVDB"`
	Method     string `json:"method"`
	URL        string `json:"url"`
	Msg        string `json:"msg"`
	References string `json:"references"`
}

// parseJSON reads one target object or an array of them; each target's
// vulnerabilities are decoded one at a time.
func parseJSON(ctx context.Context, r io.Reader, sink report.Sink, first byte) error {
	js := report.NewJSONStream(r)
	seen := webfinding.Assets{}
	groups := webfinding.NewGrouper()
	hosts := 0
	one := func() error {
		hosts++
		var host, ip, port string
		// Nikto writes the target before its findings, but nothing
		// requires it, so the findings wait for the object's end.
		var vulns []jsonVuln
		err := js.Object(func(key string) error {
			switch key {
			case "host":
				return js.Decode(&host)
			case "ip":
				return js.Decode(&ip)
			case "port":
				// A string in Nikto's output; a number is accepted too.
				var p json.RawMessage
				if err := js.Decode(&p); err != nil {
					return err
				}
				port = strings.Trim(string(p), `"`)
				return nil
			case "vulnerabilities":
				return js.Array(func(i int) error {
					if i%256 == 0 {
						if err := ctx.Err(); err != nil {
							return err
						}
					}
					var v jsonVuln
					if err := js.Decode(&v); err != nil {
						return err
					}
					vulns = append(vulns, v)
					return nil
				})
			}
			return js.Skip()
		})
		if err != nil {
			return err
		}
		host = strings.TrimSpace(host)
		if host == "" {
			host = strings.TrimSpace(ip)
		}
		if host == "" {
			return report.Errorf(js.Offset(), "Nikto JSON target without a host")
		}
		if port == "" {
			port = "80"
		}
		if !validPort(port) {
			return report.Errorf(js.Offset(), "Nikto JSON target %q with an invalid port %q", host, port)
		}
		s, ok := webfinding.ParseSite(schemeFor(port)+"://"+joinHostPort(host, port), "http")
		if !ok {
			return report.Errorf(js.Offset(), "Nikto JSON target with an invalid host %q", host)
		}
		t := target{Site: s, ip: strings.TrimSpace(ip)}
		if err := seen.Report(sink, t.asset()); err != nil {
			return err
		}
		for _, v := range vulns {
			add(groups, t, item{id: v.ID, osvdb: v.OSVDB, method: v.Method, uri: v.URL, msg: v.Msg, refs: v.References})
		}
		return nil
	}
	var err error
	if first == '[' {
		err = js.Array(func(int) error { return one() })
	} else {
		err = one()
	}
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	return groups.Flush(ctx, sink)
}
