package scope

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/model"
)

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		want    PortRange
		wantErr bool
	}{
		{"any", PortRange{Proto: "any", Hi: 65535}, false},
		{"tcp", PortRange{Proto: "tcp", Hi: 65535}, false},
		{"UDP/53", PortRange{Proto: "udp", Lo: 53, Hi: 53}, false},
		{"tcp/1-1024", PortRange{Proto: "tcp", Lo: 1, Hi: 1024}, false},
		{"tcp/any", PortRange{Proto: "tcp", Hi: 65535}, false},
		{"icmp", PortRange{Proto: "icmp", Hi: 65535}, false},
		{"tcp/0", PortRange{}, true},
		{"tcp/65536", PortRange{}, true},
		{"tcp/10-5", PortRange{}, true},
		{"tcp/", PortRange{}, true},
		{"tcp/a-b", PortRange{}, true},
		{"icmp/8", PortRange{}, true},
		{"any/1", PortRange{}, true},
		{"443", PortRange{}, true},
		{"", PortRange{}, true},
	}
	for _, tt := range tests {
		got, err := ParsePortRange(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePortRange(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			if back, err := ParsePortRange(got.String()); err != nil || back != got {
				t.Errorf("%q does not round-trip through %q", tt.in, got.String())
			}
		}
	}
}

const zonesYAML = `
zones:
	- name: corp
		cidrs: [10.0.0.0/8]
	- name: dmz
		cidrs: [10.0.0.0/24, "2001:db8::/32"]
	- name: bastion
		cidrs: [10.0.0.7]
	- name: cloud
		vpcs: [vpc-1]
		subnets: [subnet-a]
	- name: pci
		subnets: [subnet-a]
		crown_jewels: true
flows:
	- from: internet
		to: dmz
		ports: [tcp/443, tcp/8000-8100]
	- from: dmz
		to: corp
		ports: [udp/53, icmp]
	- from: corp
		to: internet
		ports: [any]
`

func TestZones(t *testing.T) {
	c := mustParse(t, yml(zonesYAML))
	for _, tt := range []struct {
		ip   string
		want []string
	}{
		{"10.0.0.7", []string{"bastion", "dmz", "corp"}}, // most specific first
		{"10.0.0.8", []string{"dmz", "corp"}},
		{"10.9.9.9", []string{"corp"}},
		{"::ffff:10.9.9.9", []string{"corp"}},
		{"2001:db8::1", []string{"dmz"}},
		{"8.8.8.8", nil},
	} {
		if diff := cmp.Diff(tt.want, c.ZoneOf(netip.MustParseAddr(tt.ip))); diff != "" {
			t.Errorf("ZoneOf(%s) (-want +got):\n%s", tt.ip, diff)
		}
	}
	if diff := cmp.Diff([]string{"cloud", "pci"}, c.ZoneOfCloud("subnet-a")); diff != "" {
		t.Errorf("ZoneOfCloud (-want +got):\n%s", diff)
	}
	a := model.Asset{
		Identifiers: []model.Identifier{{Kind: model.IDIPv4, Value: "10.1.1.1"}, {Kind: model.IDIPv6, Value: "2001:db8::5"}, {Kind: model.IDCloudID, Value: "vpc-1"}, {Kind: model.IDIPv4, Value: "junk"}},
		Attributes:  map[string]string{"subnet": "subnet-a"},
	}
	if diff := cmp.Diff([]string{"corp", "dmz", "cloud", "pci"}, c.ZonesOf(a)); diff != "" {
		t.Errorf("ZonesOf (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pci"}, c.CrownJewelZones()); diff != "" {
		t.Errorf("CrownJewelZones (-want +got):\n%s", diff)
	}
	// Expressions see the zones.
	r, err := c.Resolve(a)
	if err != nil || len(r.Zones) != 4 {
		t.Errorf("Resolve zones = %v, %v", r.Zones, err)
	}
}

func TestFlows(t *testing.T) {
	c := mustParse(t, yml(zonesYAML))
	want := []Flow{
		{From: "internet", To: "dmz", Ports: []PortRange{{"tcp", 443, 443}, {"tcp", 8000, 8100}}, Line: 15},
		{From: "dmz", To: "corp", Ports: []PortRange{{"udp", 53, 53}, {"icmp", 0, 65535}}, Line: 18},
		{From: "corp", To: "internet", Ports: []PortRange{{"any", 0, 65535}}, Line: 21},
	}
	if diff := cmp.Diff(want, c.Flows()); diff != "" {
		t.Errorf("Flows (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		from, to string
		port     int
		proto    string
		want     bool
	}{
		{"internet", "dmz", 443, "tcp", true},
		{"internet", "dmz", 443, "TCP", true},
		{"internet", "dmz", 443, "udp", false},
		{"internet", "dmz", 8050, "tcp", true},
		{"internet", "dmz", 8101, "tcp", false},
		{"internet", "dmz", 22, "tcp", false},
		{"internet", "corp", 443, "tcp", false}, // no transitive flows: paths are the validation engine's job
		{"dmz", "internet", 443, "tcp", false},  // flows have a direction
		{"dmz", "corp", 0, "icmp", true},
		{"corp", "internet", 25, "tcp", true},
		{"corp", "corp", 3389, "tcp", true}, // within a zone
		{"pci", "cloud", 1, "tcp", false},
	} {
		if got := c.Allowed(tt.from, tt.to, tt.port, tt.proto); got != tt.want {
			t.Errorf("Allowed(%s, %s, %d, %s) = %v", tt.from, tt.to, tt.port, tt.proto, got)
		}
	}
}
