package hostid_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/model"
)

var (
	v4   = func(s string) model.Identifier { return model.Identifier{Kind: model.IDIPv4, Value: s} }
	v6   = func(s string) model.Identifier { return model.Identifier{Kind: model.IDIPv6, Value: s} }
	fqdn = func(s string) model.Identifier { return model.Identifier{Kind: model.IDFQDN, Value: s} }
	host = func(s string) model.Identifier { return model.Identifier{Kind: model.IDHostname, Value: s} }
	name = func(s string) model.Identifier { return model.Identifier{Kind: model.IDName, Value: s} }
)

func TestAddress(t *testing.T) {
	tests := []struct {
		in   string
		want model.Identifier
		ok   bool
	}{
		{"192.0.2.1", v4("192.0.2.1"), true},
		{"::ffff:192.0.2.1", v4("192.0.2.1"), true},
		{"2001:DB8:0:0::1", v6("2001:db8::1"), true},
		{"fe80::1%eth0", v6("fe80::1%eth0"), true},
		{" 192.0.2.1", model.Identifier{}, false},
		{"[::1]", model.Identifier{}, false},
		{"host.example", model.Identifier{}, false},
	}
	for _, tt := range tests {
		got, ok := hostid.Address(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Address(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		in   string
		want model.Identifier
	}{
		{"192.0.2.1", v4("192.0.2.1")},
		{"::1", v6("::1")},
		{"www.Example.com", fqdn("www.Example.com")},
		{"db01", host("db01")},
		{"10.0.0", fqdn("10.0.0")},
	}
	for _, tt := range tests {
		if got := hostid.Of(tt.in); got != tt.want {
			t.Errorf("Of(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if tt.want.Kind == model.IDFQDN || tt.want.Kind == model.IDHostname {
			if got := hostid.Name(tt.in); got != tt.want {
				t.Errorf("Name(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want model.Identifier
	}{
		{" 192.0.2.1 ", v4("192.0.2.1")},
		{"::FFFF:192.0.2.1", v4("192.0.2.1")},
		{"  WWW.Example.COM ", fqdn("www.example.com")},
		{"DB01", host("db01")},
		{"10.0.0", name("10.0.0")},
		{"1234", name("1234")},
		{"   ", model.Identifier{}},
	}
	for _, tt := range tests {
		if got := hostid.Parse(tt.in); got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestMAC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"00:11:22:AA:bb:CC", "00:11:22:aa:bb:cc"},
		{"00-11-22-33-44-55", "00:11:22:33:44:55"},
		{"0011.2233.4455", "00:11:22:33:44:55"},
		{"001122334455", "00:11:22:33:44:55"},
		{"00:00:00:00:00:00", "00:00:00:00:00:00"},
		{"00:11:22:33:44", ""},
		{"00:11:22:33:44:55:66", ""},
		{"00 11 22 33 44 55", ""},
		{"zz:11:22:33:44:55", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := hostid.MAC(tt.in); got != tt.want {
			t.Errorf("MAC(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
