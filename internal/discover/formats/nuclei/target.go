package nuclei

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type parser struct {
	sink    report.Sink
	seen    webfinding.Assets
	groups  *webfinding.Grouper
	targets map[string]report.AssetRef
	// pending holds results that name no target (some DNS templates):
	// they go to the report's only target, if it has just one.
	pending []pendingResult
}

type pendingResult struct {
	obs       report.Observation
	key, line string
}

type target struct {
	asset report.AssetRef
	loc   model.Location
}

// targetOf finds what a result is about: a web application for HTTP-like
// templates with a URL, otherwise the host (or, for DNS templates, the
// domain) with the port that was probed.
func targetOf(res *result, typ, matched string) (target, bool) {
	port := portOf(res.Port)
	switch typ {
	case "", "http", "headless", "javascript", "websocket":
		hostURL := ""
		if res.Scheme != "" && res.Host != "" && !strings.Contains(res.Host, "://") {
			hostURL = res.Scheme + "://" + res.Host
		}
		// v3 JavaScript results give the target as "url": "/http://host/".
		for _, c := range []string{matched, res.Host, strings.TrimPrefix(strings.TrimSpace(res.URL), "/"), hostURL} {
			c = strings.TrimSpace(c)
			if !strings.Contains(c, "://") {
				continue
			}
			s, ok := webfinding.ParseSite(c, "http")
			if !ok || (s.Scheme != "http" && s.Scheme != "https" && s.Scheme != "ws" && s.Scheme != "wss") {
				continue
			}
			u := s.Origin + "/"
			if c == matched {
				u = matched
			}
			a := s.Asset()
			if ip := net.ParseIP(strings.TrimSpace(res.IP)); ip != nil && ip.String() != s.Host {
				// The address is kept for reference only: many web
				// applications share one (CDNs, virtual hosts).
				a.Attributes = map[string]string{"ip": ip.String()}
			}
			return target{asset: a, loc: model.Location{URL: u, Port: s.Port, Protocol: s.Scheme}}, true
		}
	}
	host, p := hostPort(matched)
	if host == "" {
		host, p = hostPort(res.Host)
	}
	ip := net.ParseIP(strings.TrimSpace(res.IP))
	if host == "" && ip != nil {
		host = ip.String()
	}
	if host == "" {
		return target{}, false
	}
	if p == 0 {
		p = port
	}
	a := report.AssetRef{Kind: model.AssetHost, Name: host, Identifiers: []model.Identifier{webfinding.HostIdentifier(host)}}
	if typ == "dns" {
		a.Kind = model.AssetDomain
	} else if ip != nil && ip.String() != host {
		a.Identifiers = append(a.Identifiers, webfinding.HostIdentifier(ip.String()))
	}
	loc := model.Location{Port: p}
	if p > 0 {
		loc.Protocol = "tcp"
	}
	if typ == "ssl" {
		loc.Service = "tls"
	}
	return target{asset: a, loc: loc}, true
}

// hostPort reads "host:port", "host" or a URL.
func hostPort(s string) (string, int) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0
	}
	var host, port string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", 0
		}
		host, port = u.Hostname(), u.Port()
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else {
		host = strings.Trim(s, "[]")
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || strings.ContainsAny(host, " /\\?#@") {
		return "", 0
	}
	n, _ := strconv.Atoi(port)
	if n < 0 || n > 65535 {
		n = 0
	}
	return host, n
}

// portOf reads a port written as a string or a number.
func portOf(raw []byte) int {
	n, err := strconv.Atoi(strings.Trim(string(bytes.TrimSpace(raw)), `"`))
	if err != nil || n <= 0 || n > 65535 {
		return 0
	}
	return n
}

// finish places the results without a target and emits every group.
func (p *parser) finish(ctx context.Context) error {
	if len(p.pending) > 0 {
		var a report.AssetRef
		if len(p.targets) == 1 {
			for _, t := range p.targets {
				a = t
			}
		} else {
			// Unknown target: no identifiers, the pipeline names it
			// from the import.
			a = report.AssetRef{Kind: model.AssetHost}
		}
		for _, pr := range p.pending {
			pr.obs.Asset = a
			p.groups.Add(pr.key, pr.obs, pr.line, pr.line)
		}
	}
	return p.groups.Flush(ctx, p.sink)
}
