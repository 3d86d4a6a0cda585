package scope

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/model"
)

// InternetZone is the built-in zone for everything outside the declared
// ones; flows from it are the entry points of attack paths.
const InternetZone = "internet"

// Flow is traffic allowed from one zone to another.
type Flow struct {
	From, To    string
	Ports       []PortRange
	Description string
	Line        int
}

// PortRange is a protocol and an inclusive port range. Proto "any" matches
// every protocol; Lo 0 and Hi 65535 match every port.
type PortRange struct {
	Proto  string // tcp, udp, icmp, any
	Lo, Hi int
}

// String writes the range back in the file's notation.
func (r PortRange) String() string {
	switch {
	case r.Proto == "any":
		return "any"
	case r.Lo == 0 && r.Hi == 65535:
		return r.Proto
	case r.Lo == r.Hi:
		return fmt.Sprintf("%s/%d", r.Proto, r.Lo)
	}
	return fmt.Sprintf("%s/%d-%d", r.Proto, r.Lo, r.Hi)
}

// Matches reports whether the range admits a port and protocol.
func (r PortRange) Matches(port int, proto string) bool {
	if r.Proto == "any" {
		return true
	}
	return strings.EqualFold(r.Proto, proto) && port >= r.Lo && port <= r.Hi
}

// ParsePortRange reads "any", "tcp", "tcp/443", "udp/1-1024", "icmp".
func ParsePortRange(s string) (PortRange, error) {
	const want = `expected "any", a protocol (tcp, udp, icmp), or protocol/port or protocol/low-high such as tcp/443 or tcp/8000-8100`
	proto, ports, hasPorts := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	switch proto {
	case "any":
		if hasPorts {
			return PortRange{}, fmt.Errorf("%q: %s", s, want)
		}
		return PortRange{Proto: "any", Hi: 65535}, nil
	case "tcp", "udp":
	case "icmp":
		if hasPorts {
			return PortRange{}, fmt.Errorf("%q: icmp has no ports", s)
		}
		return PortRange{Proto: "icmp", Hi: 65535}, nil
	default:
		return PortRange{}, fmt.Errorf("%q: %s", s, want)
	}
	if !hasPorts || ports == "any" || ports == "*" {
		return PortRange{Proto: proto, Hi: 65535}, nil
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	if !isRange {
		hi = lo
	}
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	switch {
	case err1 != nil || err2 != nil:
		return PortRange{}, fmt.Errorf("%q: %s", s, want)
	case l < 1 || h > 65535:
		return PortRange{}, fmt.Errorf("%q: ports run from 1 to 65535", s)
	case l > h:
		return PortRange{}, fmt.Errorf("%q: the range runs backwards; write %s/%d-%d", s, proto, h, l)
	}
	return PortRange{Proto: proto, Lo: l, Hi: h}, nil
}

func (d *decoder) zone(z rawZone, p string) Zone {
	zone := Zone{Name: z.Name, Description: z.Description, VPCs: z.VPCs, Subnets: z.Subnets, CrownJewels: z.CrownJewels, Line: d.posOf(p).line}
	if len(z.CIDRs)+len(z.VPCs)+len(z.Subnets) == 0 {
		d.errorf(p, "zone %q holds nothing; expected at least one of cidrs, vpcs, subnets", z.Name)
	}
	for j, s := range z.CIDRs {
		f := fmt.Sprintf("%s.cidrs[%d]", p, j)
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			// A bare address is a /32 or /128; accept it as such.
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				pr = netip.PrefixFrom(a, a.BitLen())
			} else {
				d.errorf(f, "expected a CIDR such as 10.20.0.0/16 or an IP address, found %q", s)
				continue
			}
		}
		if pr.Masked() != pr {
			d.errorf(f, "%q has host bits set; did you mean %q?", s, pr.Masked().String())
			continue
		}
		zone.CIDRs = append(zone.CIDRs, pr.String())
	}
	for _, ids := range []struct {
		field string
		vals  []string
	}{{"vpcs", z.VPCs}, {"subnets", z.Subnets}} {
		for j, id := range ids.vals {
			if strings.TrimSpace(id) == "" || strings.ContainsAny(id, " \t") {
				d.errorf(fmt.Sprintf("%s.%s[%d]", p, ids.field, j), "expected a cloud network id such as vpc-0a1b2c3d, found %q", id)
			}
		}
	}
	return zone
}

func (d *decoder) flow(f rawFlow, p string, zones map[string]bool) Flow {
	fl := Flow{From: f.From, To: f.To, Description: f.Description, Line: d.posOf(p).line}
	for _, end := range []struct{ field, zone string }{{"from", f.From}, {"to", f.To}} {
		if end.zone != "" && end.zone != InternetZone && !zones[end.zone] {
			d.errorf(p+"."+end.field, "unknown zone %q; expected %s or a zone declared under zones (known: %s)", end.zone, InternetZone, known(zones))
		}
	}
	for j, s := range f.Ports {
		r, err := ParsePortRange(s)
		if err != nil {
			d.errorf(fmt.Sprintf("%s.ports[%d]", p, j), "%v", err)
			continue
		}
		fl.Ports = append(fl.Ports, r)
	}
	return fl
}

// zoneIndex answers "which zones hold this address" most specific first.
type zoneIndex struct {
	prefixes []zonePrefix // longest prefix first, then file order
	cloud    map[string][]string
}

type zonePrefix struct {
	p    netip.Prefix
	zone string
}

func newZoneIndex(zones []Zone) zoneIndex {
	idx := zoneIndex{cloud: map[string][]string{}}
	for _, z := range zones {
		for _, s := range z.CIDRs {
			if p, err := netip.ParsePrefix(s); err == nil {
				idx.prefixes = append(idx.prefixes, zonePrefix{p, z.Name})
			}
		}
		for _, id := range append(slices.Clone(z.VPCs), z.Subnets...) {
			if !slices.Contains(idx.cloud[id], z.Name) {
				idx.cloud[id] = append(idx.cloud[id], z.Name)
			}
		}
	}
	slices.SortStableFunc(idx.prefixes, func(a, b zonePrefix) int { return cmp.Compare(b.p.Bits(), a.p.Bits()) })
	return idx
}

// Zones returns the declared zones in file order.
func (c *Config) Zones() []Zone { return slices.Clone(c.zones) }

// CrownJewelZones names the zones marked as holding crown jewels.
func (c *Config) CrownJewelZones() []string {
	var out []string
	for _, z := range c.zones {
		if z.CrownJewels {
			out = append(out, z.Name)
		}
	}
	return out
}

// Flows returns the declared flows in file order.
func (c *Config) Flows() []Flow { return slices.Clone(c.flows) }

// ZoneOf returns the zones whose CIDRs contain ip, most specific first; none
// means the address is in no declared zone (treat it as InternetZone if it
// is public, as unknown otherwise — that is the caller's policy).
func (c *Config) ZoneOf(ip netip.Addr) []string {
	ip = ip.Unmap()
	var out []string
	for _, zp := range c.zoneIdx.prefixes {
		if zp.p.Contains(ip) && !slices.Contains(out, zp.zone) {
			out = append(out, zp.zone)
		}
	}
	return out
}

// ZoneOfCloud returns the zones that list a VPC or subnet id.
func (c *Config) ZoneOfCloud(id string) []string { return slices.Clone(c.zoneIdx.cloud[id]) }

// ZonesOf returns the zones an asset is in: by its IP addresses, and by VPC
// and subnet ids found in its cloud identifiers or its vpc/subnet attributes.
// Most specific first for each address; no duplicates.
func (c *Config) ZonesOf(a model.Asset) []string {
	if len(c.zones) == 0 {
		return nil
	}
	var out []string
	add := func(zs []string) {
		for _, z := range zs {
			if !slices.Contains(out, z) {
				out = append(out, z)
			}
		}
	}
	for _, id := range a.Identifiers {
		switch id.Kind {
		case model.IDIPv4, model.IDIPv6:
			if ip, err := netip.ParseAddr(id.Value); err == nil {
				add(c.ZoneOf(ip))
			}
		case model.IDCloudID:
			add(c.zoneIdx.cloud[id.Value])
		}
	}
	for _, k := range []string{"vpc", "vpc_id", "subnet", "subnet_id"} {
		if v := a.Attributes[k]; v != "" {
			add(c.zoneIdx.cloud[v])
		}
	}
	return out
}

// Allowed reports whether the flows let traffic from one zone reach another
// on a port and protocol. Traffic within one zone is allowed: a zone is a
// network where hosts reach each other unless segmentation says otherwise,
// which is declared as a control or by splitting the zone.
func (c *Config) Allowed(from, to string, port int, proto string) bool {
	if from == to {
		return true
	}
	for _, f := range c.flows {
		if f.From != from || f.To != to {
			continue
		}
		for _, r := range f.Ports {
			if r.Matches(port, proto) {
				return true
			}
		}
	}
	return false
}
