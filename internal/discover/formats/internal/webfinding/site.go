// Package webfinding holds what the web application scanner formats
// (Acunetix, Burp, Nikto, Nuclei, Qualys WAS, ZAP...) share: the web
// application a URL belongs to (its origin) and the asset that names it, and
// the grouping of one issue's instances on one web application into one
// observation.
package webfinding

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Site is the web application a URL belongs to: its origin and host.
type Site struct {
	Origin string // scheme://host[:port], the port only when not the default
	Scheme string
	Host   string // lower-case, IPv6 without brackets
	Port   int    // effective port
}

// ParseSite reads the origin of raw, a URL or a bare host[:port]; defScheme
// is assumed when raw has no scheme. ok is false when no host can be found.
func ParseSite(raw, defScheme string) (s Site, ok bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Site{}, false
	}
	if !strings.Contains(raw, "://") {
		raw = defScheme + "://" + strings.TrimPrefix(raw, "//")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Site{}, false
	}
	s.Scheme = strings.ToLower(u.Scheme)
	s.Host = strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if s.Host == "" {
		return Site{}, false
	}
	def := defaultPort(s.Scheme)
	s.Port = def
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return Site{}, false
		}
		s.Port = n
	}
	host := s.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	s.Origin = s.Scheme + "://" + host
	if s.Port != def || def == 0 {
		if s.Port != 0 {
			s.Origin += ":" + strconv.Itoa(s.Port)
		}
	}
	return s, true
}

func defaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	}
	return 0
}

// Join puts a path (or a full URL, returned as is) onto the site's origin.
func (s Site) Join(path string) string {
	path = strings.TrimSpace(path)
	if strings.Contains(path, "://") {
		return path
	}
	if path == "" {
		return s.Origin + "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return s.Origin + path
}

// Asset is the web application asset of s: its origin as the url
// identifier, and its host name or address.
func (s Site) Asset() report.AssetRef {
	return report.AssetRef{
		Kind:        model.AssetWebApp,
		Name:        s.Origin,
		Identifiers: []model.Identifier{{Kind: model.IDURL, Value: s.Origin}, HostIdentifier(s.Host)},
	}
}

// HostIdentifier names a host by address, FQDN or bare host name.
func HostIdentifier(host string) model.Identifier {
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if ip := net.ParseIP(host); ip != nil {
		if ip.To4() != nil {
			return model.Identifier{Kind: model.IDIPv4, Value: ip.String()}
		}
		return model.Identifier{Kind: model.IDIPv6, Value: ip.String()}
	}
	if strings.Contains(host, ".") {
		return model.Identifier{Kind: model.IDFQDN, Value: host}
	}
	return model.Identifier{Kind: model.IDHostname, Value: host}
}

// Assets reports each asset to the sink once.
type Assets map[string]bool

// Report hands ref to the sink unless an asset with the same key was
// reported before.
func (a Assets) Report(sink report.Sink, ref report.AssetRef) error {
	k := AssetKey(ref)
	if a[k] {
		return nil
	}
	a[k] = true
	return sink.Asset(ref)
}

// AssetKey tells assets apart within one report.
func AssetKey(ref report.AssetRef) string { return string(ref.Kind) + "\x00" + ref.Name }
