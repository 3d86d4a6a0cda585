package generic_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/generic"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ctemCounts lists files where ctem's count differs from the manifest.
var ctemCounts = map[string]int{
	// Both rows have IsMitigated TRUE: the file says they are fixed, so
	// ctem reports their asset as covered and observes nothing.
	"generic/generic_report3.csv": 0,
	// Findings 2 and 3 are is_mitigated (left out, as above); finding 1
	// has two endpoints on two web applications: one observation each.
	"generic/generic_report3.json": 3,
	// One finding with four endpoints (four hosts): one observation per
	// asset, DefectDojo keeps one finding with four locations.
	"generic/generic_report4.json": 4,
}

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "generic" {
			continue
		}
		raises := strings.Contains(row.Details, "parse expected to raise")
		if row.Expected < 0 && !raises {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, generic.New(), filepath.Join(reporttest.CorpusDir(t), row.File))
			if raises {
				var pe *report.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error = %v, want a *report.ParseError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, ok := ctemCounts[row.File]
			if !ok {
				want = row.Expected
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d", got, want)
			}
			if len(rec.Assets) == 0 {
				t.Error("no asset reported")
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for generic")
	}
}

func TestJSONContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := generic.New()

	t.Run("custom_test", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_custom_test.json")
		o := rec.Observations[0]
		want := model.Finding{
			Kind:        model.KindVulnerability,
			Title:       "test title",
			Description: "Some very long description with\n\n some UTF-8 chars à qu'il est beau\n\nImpact: Some impact",
			Severity:    model.SevMedium,
			VulnID:      "CVE-2020-36234",
			CWEs:        []int{261},
			CVSS:        []model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:R/S:C/C:L/I:L/A:N", Score: 4.8}},
			RuleID:      "TEST1",
		}
		if diff := cmp.Diff(want, o.Finding); diff != "" {
			t.Errorf("finding (-want +got):\n%s", diff)
		}
		if o.ToolID != "3287f2d0-554f-491b-8516-3c349ead8ee5" || o.ToolSeverity != "Medium" {
			t.Errorf("tool id %q severity %q", o.ToolID, o.ToolSeverity)
		}
		// No endpoint: an unnamed repository the pipeline names.
		if diff := cmp.Diff(report.AssetRef{Kind: model.AssetRepository}, o.Asset); diff != "" {
			t.Errorf("asset (-want +got):\n%s", diff)
		}
	})

	t.Run("cve and vulnerability_ids", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_cve_and_vulnerability_ids.json")
		o := rec.Observations[0]
		if o.Finding.VulnID != "CVE-2020-36234" || !cmp.Equal(o.Finding.Aliases, []string{"GHSA-5mrr-rgp6-x4gr", "OSV-2021-1234"}) {
			t.Errorf("ids = %q %q", o.Finding.VulnID, o.Finding.Aliases)
		}
	})

	t.Run("report2", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_report2.json")
		o := rec.Observations[0]
		if o.Finding.Title != "test title3" || o.Finding.Remediation != "Some mitigation" ||
			o.Finding.Location != (model.Location{File: "src/first.cpp", Line: 13}) || !cmp.Equal(o.Finding.CWEs, []int{261}) {
			t.Errorf("finding[0] = %+v", o.Finding)
		}
		if o := rec.Observations[1]; o.Finding.Severity != model.SevCritical || o.Finding.Location.Line != 135 {
			t.Errorf("finding[1] = %+v", o.Finding)
		}
	})

	t.Run("report3 endpoints", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_report3.json")
		o := rec.Observations[0]
		if o.Finding.Title != "test title with endpoints as dict" || o.Asset.Name != "exemple.com" || o.Asset.Kind != model.AssetHost {
			t.Errorf("finding[0] = %q on %+v", o.Finding.Title, o.Asset)
		}
		var got []string
		for _, o := range rec.Observations[1:] {
			got = append(got, o.Asset.Name+" "+o.Finding.Location.URL)
		}
		want := []string{
			"http://urlfiltering.paloaltonetworks.com http://urlfiltering.paloaltonetworks.com/test-command-and-control",
			"https://urlfiltering.paloaltonetworks.com:2345 https://urlfiltering.paloaltonetworks.com:2345/test-pest",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("web endpoints (-want +got):\n%s", diff)
		}
		for _, o := range rec.Observations[1:] {
			if o.Asset.Kind != model.AssetWebApp || o.Asset.Identifiers[0].Kind != model.IDURL {
				t.Errorf("asset = %+v", o.Asset)
			}
		}
		// The two mitigated findings are not observed, their asset (the
		// unnamed repository) is still covered.
		var repo bool
		for _, a := range rec.Assets {
			repo = repo || a.Kind == model.AssetRepository
		}
		if !repo {
			t.Error("asset of the mitigated findings not reported")
		}
	})

	t.Run("report4 endpoints", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_report4.json")
		var got []string
		for _, o := range rec.Observations {
			got = append(got, string(o.Asset.Identifiers[0].Kind)+"="+o.Asset.Identifiers[0].Value)
			if o.Finding.VulnID != "CVE-2015-9235" || !cmp.Equal(o.Finding.Aliases, []string{"GHSA-5mrr-rgp6-x4gr"}) {
				t.Errorf("ids = %q %q", o.Finding.VulnID, o.Finding.Aliases)
			}
		}
		want := []string{"fqdn=www.example.com", "hostname=localhost", "ipv4=127.0.0.1", "fqdn=foo.bar"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("endpoints (-want +got):\n%s", diff)
		}
		if p := rec.Observations[2].Finding.Location.Port; p != 80 {
			t.Errorf("127.0.0.1:80 port = %d", p)
		}
		if u := rec.Observations[3].Finding.Location.URL; u != "foo.bar/path" {
			t.Errorf("foo.bar/path URL = %q", u)
		}
	})

	t.Run("multiple CWEs", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_report_multi_cwe_fabricated.json")
		want := [][]int{{89, 79, 22}, {79, 89, 200}, {22}}
		for i, w := range want {
			if !cmp.Equal(rec.Observations[i].Finding.CWEs, w) {
				t.Errorf("finding[%d] CWEs = %v, want %v", i, rec.Observations[i].Finding.CWEs, w)
			}
		}
	})

	t.Run("non-numeric fields", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_non_numeric_fields.json")
		if o := rec.Observations[0]; o.Finding.Location.Line != 0 || len(o.Finding.CWEs) != 0 {
			t.Errorf("N/A fields = line %d CWEs %v", o.Finding.Location.Line, o.Finding.CWEs)
		}
		for _, i := range []int{1, 2} {
			if o := rec.Observations[i]; o.Finding.Location.Line != 42 || !cmp.Equal(o.Finding.CWEs, []int{79}) {
				t.Errorf("finding[%d] line %d CWEs %v", i, o.Finding.Location.Line, o.Finding.CWEs)
			}
		}
	})

	t.Run("component", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_two_findings_same_component_name.json")
		for _, o := range rec.Observations {
			if o.Finding.Component.Name != "Component A" || o.Finding.Kind != model.KindVulnerability {
				t.Errorf("finding = %+v", o.Finding)
			}
		}
	})

	t.Run("kev and CVSS 4", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "generic/generic_report_kev_cvssv4.json")
		if len(rec.Observations[0].Finding.CVSS) != 1 {
			// The sample's v4 vector is not valid CVSS 4.0; only v3.1 stays.
			t.Errorf("CVSS = %+v", rec.Observations[0].Finding.CVSS)
		}
	})
}

func TestCSVContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := generic.New()

	rec := reporttest.ParseCorpus(t, f, "generic/generic_report4.csv")
	var got []string
	for _, o := range rec.Observations {
		got = append(got, o.Finding.Title+"|"+o.Asset.Name+"|"+o.Finding.VulnID+"|"+string(o.Finding.Severity))
	}
	want := []string{
		"Title1|www.example.com|CVE-2015-9235|info",
		"Title2|localhost|GHSA-5mrr-rgp6-x4gr|info",
		"Title3|127.0.0.1||info",
		"Title4|foo.bar||info",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	rec = reporttest.ParseCorpus(t, f, "generic/generic_report_fix_version.csv")
	o := rec.Observations[0]
	if o.Finding.Title != "Test finding with fix_version" || o.Finding.Component.FixedVersion != "2.1.3" ||
		!cmp.Equal(o.Finding.CWEs, []int{502}) || o.Finding.Severity != model.SevHigh || o.Finding.Remediation != "Upgrade to 2.1.3" {
		t.Errorf("finding[0] = %+v", o.Finding)
	}
	if o := rec.Observations[1]; o.Finding.Title != "Test finding without fix_version" || o.Finding.Component.FixedVersion != "" {
		t.Errorf("finding[1] = %+v", o.Finding)
	}

	rec = reporttest.ParseCorpus(t, f, "generic/generic_csv_with_epss.csv")
	o = rec.Observations[0]
	// " Url" (with a leading space) is still the URL column.
	if o.Asset.Kind != model.AssetWebApp || o.Asset.Name != "https://192.168.1.1" || o.Finding.Location.URL != "https://192.168.1.1/" {
		t.Errorf("asset %+v location %+v", o.Asset, o.Finding.Location)
	}

	// Rows with the same severity, title and description on the same URL
	// are one finding.
	in := "Date,Title,CweId,Url,Severity,Description\n01/01/2024,T,79,https://a.example.com/x,High,D\n01/01/2024,T,79,https://a.example.com/y,High,D\n01/01/2024,T,79,https://b.example.com/,High,D\n"
	r := &reporttest.Recorder{}
	if err := f.Parse(context.Background(), strings.NewReader(in), r); err != nil {
		t.Fatal(err)
	}
	if len(r.Observations) != 2 {
		t.Errorf("merged rows = %d observations, want 2", len(r.Observations))
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := generic.New()
	files, _ := filepath.Glob(filepath.Join(dir, "generic", "*"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, p := range files {
		s := f.Detect(reporttest.Head(t, p))
		switch filepath.Base(p) {
		case "generic_empty.json":
			// An empty finding: nothing to recognize.
			if s != 0 {
				t.Errorf("%s: Detect = %d, want 0", filepath.Base(p), s)
			}
		case "generic_invalid.json":
			// Fields DefectDojo rejects: claimed weakly, so that Parse
			// can name them.
			if s <= 0 || s > 30 {
				t.Errorf("%s: Detect = %d, want a weak claim", filepath.Base(p), s)
			}
		default:
			if s <= 0 {
				t.Errorf("%s: Detect = %d, want > 0", filepath.Base(p), s)
			}
		}
	}
	// ctem's own format is not ours either.
	ctem := `{"ctem":"findings/v1","findings":[{"asset":{"kind":"host","identifiers":{"hostname":"h"}},"kind":"misconfiguration","title":"t","severity":"medium"}]}`
	if s := f.Detect([]byte(ctem)); s != 0 {
		t.Errorf("ctem format: Detect = %d, want 0", s)
	}
	others, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, p := range others {
		if filepath.Base(filepath.Dir(p)) == "generic" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	reporttest.CorpusDir(t)
	cases := map[string]string{
		"empty":            "",
		"garbage":          "\x00\x01",
		"truncated json":   `{"findings":[{"title":"a","severity":"High","description":"d"},{"title":`,
		"findings object":  `{"findings":{}}`,
		"no findings":      `{"name":"x"}`,
		"missing required": `{"findings":[{"title":"a"}]}`,
		"unknown field":    `{"findings":[{"title":"a","severity":"Low","description":"d","colour":"red"}]}`,
		"csv no title":     "Name,Severity\nx,High\n",
		"csv bad quote":    "Title,Severity,Description\n\"a\"b\",High,d\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := generic.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *report.ParseError", err)
			}
			if pe.Line <= 0 && pe.Offset < 0 {
				t.Errorf("error has no position: %v", err)
			}
		})
	}
	// The corpus' malformed CSV (a stray quote at the end of line 2).
	_, err := reporttest.ParseFile(t, generic.New(), filepath.Join(reporttest.CorpusDir(t), "generic", "generic_report_kev_cvssv4.csv"))
	var pe *report.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Errorf("generic_report_kev_cvssv4.csv: error = %v, want a ParseError on line 2", err)
	}
}
