package pkgvuln_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/pkgvuln"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

func TestSeverity(t *testing.T) {
	cvss := []model.CVSS{{Score: 5.3}, {Score: 9.8}, {Score: 0}}
	tests := []struct {
		name string
		word string
		cvss []model.CVSS
		want model.Severity
	}{
		{"the scanner's word", "HIGH", cvss, model.SevHigh},
		{"unknown is a word too", "Unknown", cvss, model.SevInfo},
		{"no word: the highest score", "", cvss, model.SevCritical},
		{"odd word: the highest score", "Negligible-ish", []model.CVSS{{Score: 4.0}}, model.SevMedium},
		{"neither", "", nil, model.SevInfo},
		{"zero scores", "", []model.CVSS{{Score: 0}}, model.SevInfo},
	}
	for _, tt := range tests {
		if got := pkgvuln.Severity(tt.word, tt.cvss); got != tt.want {
			t.Errorf("%s: Severity(%q) = %s, want %s", tt.name, tt.word, got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	o := report.Observation{
		ToolID:   "CVE-1",
		Evidence: "a\x00b",
		Finding: model.Finding{
			Title:      "t\x00",
			Component:  model.Component{Name: "jdk", Version: "17.0.10+7\x00-J-ms8m"},
			Location:   model.Location{File: "\x00/lib"},
			References: []string{"https://a.example/\x00", "https://b.example/"},
		},
	}
	pkgvuln.Scrub(&o)
	if o.Evidence != "ab" || o.Finding.Title != "t" || o.Finding.Component.Version != "17.0.10+7-J-ms8m" ||
		o.Finding.Location.File != "/lib" || o.Finding.References[0] != "https://a.example/" || o.ToolID != "CVE-1" {
		t.Errorf("Scrub left %+v", o)
	}
}

func TestVersion(t *testing.T) {
	tests := []struct{ epoch, version, release, want string }{
		{"", "1.2.3", "", "1.2.3"},
		{"0", "1.2.3", "4.el8", "1.2.3-4.el8"},
		{"2", "1.2.3", "4.el8", "2:1.2.3-4.el8"},
		{"2", "", "4.el8", ""},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		if got := pkgvuln.Version(tt.epoch, tt.version, tt.release); got != tt.want {
			t.Errorf("Version(%q, %q, %q) = %q, want %q", tt.epoch, tt.version, tt.release, got, tt.want)
		}
	}
}
