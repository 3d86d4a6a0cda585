package discover

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain ascii", "plain ascii"},
		{"héllo, 世界", "héllo, 世界"},
		{"a\x00b", "a\uFFFDb"},
		{"caf\xe9", "caf\uFFFD"},
		{"\xff\xfe\x00", "\uFFFD\uFFFD"}, // a run of invalid bytes is one U+FFFD (strings.ToValidUTF8)
	} {
		if got := cleanText(tc.in); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Cleaning copies a slice or map it changes: a parser may share one
// between findings, and a batch already sent may still be read.
func TestCleanObservationCopiesWhatItChanges(t *testing.T) {
	shared := []string{"ok", "bad\x00"}
	attrs := map[string]string{"os": "linux\x00"}
	o := report.Observation{Asset: report.AssetRef{Name: "h\x00", Identifiers: []model.Identifier{{Kind: model.IDHostname, Value: "h\xff"}}, Attributes: attrs},
		Evidence: "e\x00", Finding: model.Finding{Aliases: shared, Component: model.Component{Name: "p\x00"}, Location: model.Location{URL: "u\x00"}}}
	cleanObservation(&o)
	got := []string{o.Asset.Name, o.Asset.Identifiers[0].Value, o.Asset.Attributes["os"], o.Evidence, o.Finding.Aliases[1], o.Finding.Component.Name, o.Finding.Location.URL}
	want := []string{"h\uFFFD", "h\uFFFD", "linux\uFFFD", "e\uFFFD", "bad\uFFFD", "p\uFFFD", "u\uFFFD"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cleaned (-want +got):\n%s", d)
	}
	if shared[1] != "bad\x00" || attrs["os"] != "linux\x00" {
		t.Errorf("the parser's slice or map changed: %q, %q", shared, attrs)
	}
}

// FuzzCleanText: the result is always valid UTF-8 without NULs, and a text
// that was already is kept as it is; plainASCII agrees with a byte loop.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x00b", "caf\xe9", "héllo 世界", "0123456789abcdef\x80", "\x01\x7f\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanText(s)
		if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("cleanText(%q) = %q: not valid UTF-8 without NULs", s, got)
		}
		if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 && got != s {
			t.Fatalf("cleanText(%q) = %q: changed a clean text", s, got)
		}
		ascii := true
		for i := 0; i < len(s); i++ {
			ascii = ascii && s[i] != 0 && s[i] < utf8.RuneSelf
		}
		if plainASCII(s) != ascii {
			t.Fatalf("plainASCII(%q) = %v, want %v", s, !ascii, ascii)
		}
	})
}

func BenchmarkCleanObservation(b *testing.B) {
	o := report.Observation{Asset: report.AssetRef{Name: "web0001.corp.example.com",
		Identifiers: []model.Identifier{{Kind: model.IDHostname, Value: "web0001.corp.example.com"}, {Kind: model.IDIPv4, Value: "10.0.0.1"}},
		Attributes:  map[string]string{"os": "linux", "fqdn": "web0001.corp.example.com", "ip": "10.0.0.1"}},
		ToolID: "100805", ToolSeverity: "High", Evidence: "Installed package : jackson-databind\nFixed package     : jackson-databind-1.7.28",
		Finding: model.Finding{Title: "jackson-databind: SQL injection in the admin filter", Description: "The remote host is affected by CVE-2018-49639.",
			Remediation: "Upgrade jackson-databind to 1.7.28 or later.", VulnID: "CVE-2018-49639",
			CVSS:      []model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}},
			Component: model.Component{Name: "jackson-databind", Version: "1.2.3"}}}
	for b.Loop() {
		c := o
		cleanObservation(&c)
	}
}
