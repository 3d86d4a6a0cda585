// Package hostid turns the host addresses, names and MAC addresses that
// network scanners report into ctem identifiers, so that every format names
// one host alike.
package hostid

import (
	"net/netip"
	"strings"

	"github.com/ctemhq/ctem/internal/model"
)

// Address is the identifier of s when s is an IP address: IPv4 (also for
// an IPv4-mapped IPv6 address) or IPv6, in canonical form.
func Address(s string) (model.Identifier, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return model.Identifier{}, false
	}
	if a.Is4() || a.Is4In6() {
		return model.Identifier{Kind: model.IDIPv4, Value: a.Unmap().String()}, true
	}
	return model.Identifier{Kind: model.IDIPv6, Value: a.String()}, true
}

// Name names a host that is not an address: an FQDN when s has a dot, a
// bare host name otherwise. s is kept as written.
func Name(s string) model.Identifier {
	if strings.Contains(s, ".") {
		return model.Identifier{Kind: model.IDFQDN, Value: s}
	}
	return model.Identifier{Kind: model.IDHostname, Value: s}
}

// Of names a host by its address (see Address) or else its name (see
// Name), s as written.
func Of(s string) model.Identifier {
	if id, ok := Address(s); ok {
		return id
	}
	return Name(s)
}

// Parse is Of for a value read from a report that may need cleaning: s is
// trimmed and lower-cased; an empty s is the zero Identifier; digits and
// dots that make no address (a truncated IP) are a plain name, not a DNS
// name.
func Parse(s string) model.Identifier {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return model.Identifier{}
	}
	if id, ok := Address(s); ok {
		return id
	}
	if strings.Trim(s, "0123456789.") == "" {
		return model.Identifier{Kind: model.IDName, Value: s}
	}
	return Name(s)
}

// MAC writes a MAC address ("001122334455", "00-11-22-33-44-55",
// "0011.2233.4455", any case) as 00:11:22:33:44:55; "" when s is not one.
func MAC(s string) string {
	var hex []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			hex = append(hex, c)
		case c >= 'A' && c <= 'F':
			hex = append(hex, c+('a'-'A'))
		case c == ':' || c == '-' || c == '.':
		default:
			return ""
		}
	}
	if len(hex) != 12 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.Write(hex[i : i+2])
	}
	return b.String()
}
