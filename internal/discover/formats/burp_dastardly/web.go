package burpdastardly

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// site is the web application a URL belongs to: its origin and host.
type site struct {
	Origin string // scheme://host[:port], the port only when not the default
	Scheme string
	Host   string // lower-case, IPv6 without brackets
	Port   int    // effective port
}

// parseSite reads the origin of raw, a URL or a bare host[:port]; defScheme
// is assumed when raw has no scheme. ok is false when no host can be found.
func parseSite(raw, defScheme string) (s site, ok bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return site{}, false
	}
	if !strings.Contains(raw, "://") {
		raw = defScheme + "://" + strings.TrimPrefix(raw, "//")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return site{}, false
	}
	s.Scheme = strings.ToLower(u.Scheme)
	s.Host = strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if s.Host == "" {
		return site{}, false
	}
	def := defaultPort(s.Scheme)
	s.Port = def
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return site{}, false
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

// join puts a path (or a full URL, returned as is) onto an origin.
func (s site) join(path string) string {
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

// asset is the web application asset of s: its origin as the url
// identifier, and its host name or address.
func (s site) asset() report.AssetRef {
	return report.AssetRef{
		Kind:        model.AssetWebApp,
		Name:        s.Origin,
		Identifiers: []model.Identifier{{Kind: model.IDURL, Value: s.Origin}, hostIdentifier(s.Host)},
	}
}

// hostIdentifier names a host by address, FQDN or bare host name.
func hostIdentifier(host string) model.Identifier {
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

// assets reports each asset to the sink once.
type assets map[string]bool

func (a assets) report(sink report.Sink, ref report.AssetRef) error {
	k := assetKey(ref)
	if a[k] {
		return nil
	}
	a[k] = true
	return sink.Asset(ref)
}

// assetKey tells assets apart within one report.
func assetKey(ref report.AssetRef) string { return string(ref.Kind) + "\x00" + ref.Name }
