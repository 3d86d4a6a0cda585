package discover

import (
	"testing"

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
