package store

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/model"
)

// marshal is json.Marshal without HTML escaping, "[]" or "{}" for null.
func marshal(t *testing.T, v any, empty string) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "null" {
		return empty
	}
	return s
}

func checkEncoding(t *testing.T, f *model.Finding) {
	t.Helper()
	got := EncodeFinding(f)
	want := FindingJSON{
		Aliases: marshal(t, f.Aliases, "[]"), CWEs: marshal(t, f.CWEs, "[]"), CVSS: marshal(t, f.CVSS, "[]"),
		Component: marshal(t, f.Component, "{}"), Location: marshal(t, f.Location, "{}"), References: marshal(t, f.References, "[]"),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("EncodeFinding differs from json.Marshal (-want +got):\n%s", d)
	}
}

func TestEncodeFinding(t *testing.T) {
	tests := []model.Finding{
		{},
		{Aliases: []string{}, CWEs: []int{}, CVSS: []model.CVSS{}, References: []string{}},
		{Aliases: []string{"GHSA-1", "a\"b\\c"}, CWEs: []int{79, -1}, References: []string{"https://x.test/?a=1&b=<2>"},
			CVSS:      []model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N", Score: 9.8}, {Version: "2.0", Score: 1e-7}, {Score: 1e21}},
			Component: model.Component{Name: "n", Version: "v", FixedVersion: "f", PURL: "p", Ecosystem: "e", Path: "/x"},
			Location: model.Location{Port: 443, Protocol: "tcp", Service: "https", URL: "u", Method: "GET", Param: "q", File: "f",
				Line: 1, EndLine: -2, Resource: "arn:aws:s3:::b"}},
		{Aliases: []string{"\x00\x01\b\f\n\r\t\x1f\x7f", "\xff\xfe bad", "\u2028\u2029 é 😀"}},
	}
	for _, f := range tests {
		checkEncoding(t, &f)
	}
	if got := EncodeFinding(&model.Finding{CVSS: []model.CVSS{{Score: math.NaN()}, {Score: math.Inf(1)}}}).CVSS; got != `[{"version":"","vector":"","score":0},{"version":"","vector":"","score":0}]` {
		t.Errorf("NaN and infinite scores: %s", got)
	}
}

func FuzzEncodeFinding(f *testing.F) {
	f.Add("GHSA-1", "openssl", "CVSS:3.1/AV:N", "https://x.test/a", 79, 443, 9.8)
	f.Add("\xff\u2028\x00", "", "", "<&>", -1, 0, 1e-7)
	f.Fuzz(func(t *testing.T, alias, pkg, vector, url string, cwe, port int, score float64) {
		if math.IsNaN(score) || math.IsInf(score, 0) {
			return // json.Marshal refuses them; TestEncodeFinding covers ours
		}
		fd := model.Finding{Aliases: []string{alias, pkg}, CWEs: []int{cwe}, References: []string{url},
			CVSS:      []model.CVSS{{Version: alias, Vector: vector, Score: score}},
			Component: model.Component{Name: pkg, Version: alias, PURL: url},
			Location:  model.Location{Port: port, URL: url, Resource: vector, Line: cwe}}
		checkEncoding(t, &fd)
		// And it reads back.
		js := EncodeFinding(&fd)
		var back model.Location
		if err := json.Unmarshal([]byte(js.Location), &back); err != nil {
			t.Fatalf("%s: %v", js.Location, err)
		}
	})
}
