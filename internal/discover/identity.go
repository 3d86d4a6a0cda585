package discover

import (
	"net/netip"
	"net/url"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// strength ranks identifiers: a strong one names one asset for ever, a
// medium one (a short host name) usually does, a weak one (an IP address, an
// image tag, a bare name) can move from one asset to another.
type strength int

const (
	weak strength = iota + 1
	medium
	strong
)

func strengthOf(k model.IdentifierKind) strength {
	switch k {
	case model.IDARN, model.IDCloudID, model.IDImageDigest, model.IDImageID, model.IDFQDN, model.IDRepoURL, model.IDURL, model.IDMAC:
		return strong
	case model.IDHostname:
		return medium
	}
	return weak
}

// conflicting lists the identifier kinds of which an asset has one true
// value: two assets that both have one and share none are different assets,
// whatever else they share. This is what keeps DHCP-style IP reuse from
// merging two machines.
var conflicting = []model.IdentifierKind{model.IDFQDN, model.IDHostname, model.IDARN, model.IDCloudID, model.IDImageDigest, model.IDImageID, model.IDRepoURL}

// normalizeIdentifiers canonicalizes and de-duplicates a report's
// identifiers, and derives the ones implied by others (an FQDN implies its
// short host name; an IP written as a host name is an IP).
func normalizeIdentifiers(kind model.AssetKind, in []model.Identifier) []model.Identifier {
	seen := map[model.Identifier]bool{}
	var out []model.Identifier
	add := func(k model.IdentifierKind, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		id := model.Identifier{Kind: k, Value: v}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range in {
		v := strings.TrimSpace(id.Value)
		switch id.Kind {
		case model.IDHostname, model.IDFQDN:
			v = strings.TrimSuffix(strings.ToLower(v), ".")
			if ip, err := netip.ParseAddr(v); err == nil {
				addIP(add, ip)
				continue
			}
			if i := strings.IndexByte(v, '.'); i > 0 {
				add(model.IDFQDN, v)
				if kind == model.AssetHost {
					add(model.IDHostname, v[:i])
				}
				continue
			}
			add(model.IDHostname, v)
		case model.IDIPv4, model.IDIPv6:
			if ip, err := netip.ParseAddr(v); err == nil {
				addIP(add, ip)
			}
		case model.IDMAC:
			m := strings.ToLower(strings.ReplaceAll(v, "-", ":"))
			if m != "00:00:00:00:00:00" {
				add(model.IDMAC, m)
			}
		case model.IDImageDigest, model.IDImageID:
			v = strings.ToLower(v)
			if i := strings.LastIndex(v, "@"); i >= 0 {
				v = v[i+1:]
			}
			add(id.Kind, v)
		case model.IDRepoURL:
			add(model.IDRepoURL, normalizeRepoURL(v))
		case model.IDURL:
			add(model.IDURL, normalizeOrigin(v))
		case model.IDImageRef:
			add(model.IDImageRef, normalizeImageRef(v))
		default:
			add(id.Kind, v)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Value < out[j].Value
	})
	return out
}

func addIP(add func(model.IdentifierKind, string), ip netip.Addr) {
	ip = ip.Unmap()
	if ip.Is4() {
		add(model.IDIPv4, ip.String())
	} else {
		add(model.IDIPv6, ip.String())
	}
}

// normalizeRepoURL reduces the many spellings of a repository
// (https://github.com/Org/Repo.git, git@github.com:org/repo) to
// "github.com/org/repo".
func normalizeRepoURL(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "git@") {
		v = strings.Replace(strings.TrimPrefix(v, "git@"), ":", "/", 1)
	} else if u, err := url.Parse(v); err == nil && u.Host != "" {
		v = u.Host + u.Path
	}
	v = strings.TrimSuffix(strings.TrimSuffix(v, "/"), ".git")
	return strings.ToLower(v)
}

// normalizeOrigin reduces a URL to scheme://host[:port], dropping default ports.
func normalizeOrigin(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || u.Host == "" {
		return strings.ToLower(strings.TrimSpace(v))
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host = host + ":" + port
	}
	if strings.Contains(u.Hostname(), ":") && port == "" {
		host = "[" + strings.ToLower(u.Hostname()) + "]"
	}
	return scheme + "://" + host
}

// normalizeImageRef adds the implicit registry and tag of Docker Hub
// references, so that "nginx" and "docker.io/library/nginx:latest" match.
func normalizeImageRef(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.Index(v, "@"); i >= 0 {
		v = v[:i]
	}
	name, tag := v, ""
	if i := strings.LastIndex(v, ":"); i > strings.LastIndex(v, "/") {
		name, tag = v[:i], v[i+1:]
	}
	if tag == "" {
		tag = "latest"
	}
	first, _, hasSlash := strings.Cut(name, "/")
	if !hasSlash || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		if !hasSlash {
			name = "library/" + name
		}
		name = "docker.io/" + name
	}
	return name + ":" + tag
}

// assetName picks a display name: the report's, else the best identifier.
func assetName(ref report.AssetRef, ids []model.Identifier) string {
	if n := strings.TrimSpace(ref.Name); n != "" {
		return n
	}
	for _, k := range []model.IdentifierKind{model.IDFQDN, model.IDHostname, model.IDARN, model.IDImageRef, model.IDRepoURL, model.IDURL, model.IDCloudID, model.IDName, model.IDIPv4, model.IDIPv6, model.IDImageDigest, model.IDImageID, model.IDMAC} {
		for _, id := range ids {
			if id.Kind == k {
				return id.Value
			}
		}
	}
	return "unnamed " + string(ref.Kind)
}

// refKey is a cache key for a normalized asset reference.
func refKey(kind model.AssetKind, ids []model.Identifier) string {
	var b strings.Builder
	b.WriteString(string(kind))
	for _, id := range ids {
		b.WriteByte('|')
		b.WriteString(string(id.Kind))
		b.WriteByte('=')
		b.WriteString(id.Value)
	}
	return b.String()
}
