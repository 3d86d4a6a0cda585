// Package assetref fills in the identifiers and attributes of a
// report.AssetRef from report values, leaving out blanks, placeholder
// addresses and repeats.
package assetref

import (
	"net"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// AddID adds the identifier kind=v, trimmed, unless v is blank or ref
// already has it.
func AddID(ref *report.AssetRef, kind model.IdentifierKind, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	for _, have := range ref.Identifiers {
		if have.Kind == kind && have.Value == v {
			return
		}
	}
	ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: kind, Value: v})
}

// AddIP adds s as an IPv4 or IPv6 identifier when it is a usable address;
// placeholders such as 0.0.0.0 name no host.
func AddIP(ref *report.AssetRef, s string) {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil || ip.IsUnspecified() {
		return
	}
	if ip.To4() != nil {
		AddID(ref, model.IDIPv4, ip.String())
	} else {
		AddID(ref, model.IDIPv6, ip.String())
	}
}

// SetAttr sets attribute k of m to v, trimmed, unless v is blank.
func SetAttr(m map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		m[k] = v
	}
}
