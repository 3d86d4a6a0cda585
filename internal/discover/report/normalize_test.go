package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The regular expressions isCVE and isGHSA stand in for.
var (
	refCVE  = regexp.MustCompile(`(?i)^CVE-\d{4}-\d{4,}$`)
	refGHSA = regexp.MustCompile(`(?i)^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`)
)

var vulnIDCases = []string{
	"CVE-2021-44228", "cve-2021-44228", "CvE-2021-1234", "CVE-2021-123", "CVE-2021-12345678", "CVE-21-1234", "CVE-2021-12a4",
	"CVE_2021-1234", "CVE-2021-1234 ", "CVE-2021-1234\n", "\x03VE-2021-1234", "CVE-202\x11-1234", "XCVE-2021-1234", "",
	"GHSA-jfh8-c2jp-5v3q", "ghsa-JFH8-C2JP-5V3Q", "GHSA-jfh8-c2jp-5v3", "GHSA-jfh8-c2jp-5v3qq", "GHSA-jfh8-c2jp-5v1q",
	"GHSA-jfh8-c2jp-5v\x13q", "GHſA-jfh8-c2jp-5v3q", "GHSA_jfh8-c2jp-5v3q", "GHSA-jfh8-c2jp-5vkq", "RHSA-2021:1234",
}

func TestVulnIDMatchers(t *testing.T) {
	for _, id := range vulnIDCases {
		if got, want := isCVE(id), refCVE.MatchString(id); got != want {
			t.Errorf("isCVE(%q) = %v, want %v", id, got, want)
		}
		if got, want := isGHSA(id), refGHSA.MatchString(id); got != want {
			t.Errorf("isGHSA(%q) = %v, want %v", id, got, want)
		}
	}
}

func FuzzVulnIDMatchers(f *testing.F) {
	for _, id := range vulnIDCases {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := isCVE(id), refCVE.MatchString(id); got != want {
			t.Errorf("isCVE(%q) = %v, want %v", id, got, want)
		}
		if got, want := isGHSA(id), refGHSA.MatchString(id); got != want {
			t.Errorf("isGHSA(%q) = %v, want %v", id, got, want)
		}
	})
}

func TestVulnIDs(t *testing.T) {
	tests := []struct {
		ids       []string
		canonical string
		aliases   []string
	}{
		{[]string{" cve-2021-44228 "}, "CVE-2021-44228", nil},
		{[]string{"GHSA-JFH8-C2JP-5V3Q"}, "GHSA-jfh8-c2jp-5v3q", nil},
		{[]string{""}, "", nil},
		{[]string{"RHSA-1", "cve-2020-1234", "RHSA-1", "CVE-2019-9999"}, "CVE-2020-1234", []string{"CVE-2019-9999", "RHSA-1"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.ids, ","), func(t *testing.T) {
			c, a := VulnIDs(tc.ids...)
			if diff := cmp.Diff([]any{tc.canonical, tc.aliases}, []any{c, a}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
