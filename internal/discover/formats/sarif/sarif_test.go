package sarif_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/sarif"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// TestManifest checks every manifest row with a count: ctem emits one
// observation per (result, location), as DefectDojo does, so the counts
// are the manifest's.
func TestManifest(t *testing.T) {
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "sarif" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, sarif.New(), row.File)
			if got := len(rec.Observations); got != row.Expected {
				t.Errorf("observations = %d, want %d", got, row.Expected)
			}
			for i, o := range rec.Observations {
				if len(o.Finding.Title) == 0 || len(o.Finding.Title) > 250 {
					t.Errorf("finding[%d] title length %d", i, len(o.Finding.Title))
				}
				if o.Finding.Kind == "" || o.Finding.Severity == "" {
					t.Errorf("finding[%d] without kind or severity: %+v", i, o.Finding)
				}
			}
			if len(rec.Assets) == 0 {
				t.Error("no asset reported")
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for sarif")
	}
}

// TestCorpusParses parses the corpus files the manifest has no count for.
func TestCorpusParses(t *testing.T) {
	for file, want := range map[string]int{
		"sarif/no_runs.sarif":                                          0,
		"sarif/spotbugs.sarif":                                         56,
		"sarif/suppression_test.sarif":                                 5,
		"sarif/bash-report-fabricated-no-internal-dupes.sarif":         5,
		"sarif/bash-report-fabricated-no-internal-dupes-subset.sarif":  4,
		"sarif/bash-report-subset-same-hash-code-same-unique-id.sarif": 4,
	} {
		rec := reporttest.ParseCorpus(t, sarif.New(), file)
		if got := len(rec.Observations); got != want {
			t.Errorf("%s: observations = %d, want %d", file, got, want)
		}
	}
}

type check struct {
	file  string
	index int
	fn    func(t *testing.T, o report.Observation)
}

func title(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.Finding.Title != want {
			t.Errorf("title = %q, want %q", o.Finding.Title, want)
		}
	}
}

func titlePrefix(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if !strings.HasPrefix(o.Finding.Title, want) {
			t.Errorf("title = %q, want prefix %q", o.Finding.Title, want)
		}
	}
}

func sev(want model.Severity) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.Finding.Severity != want {
			t.Errorf("severity = %q, want %q", o.Finding.Severity, want)
		}
	}
}

func file(want string, line int) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.Finding.Location.File != want || (line != 0 && o.Finding.Location.Line != line) {
			t.Errorf("location = %q:%d, want %q:%d", o.Finding.Location.File, o.Finding.Location.Line, want, line)
		}
	}
}

func filePrefix(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if !strings.HasPrefix(o.Finding.Location.File, want) {
			t.Errorf("file = %q, want prefix %q", o.Finding.Location.File, want)
		}
	}
}

func cwe(want int) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		for _, c := range o.Finding.CWEs {
			if c == want {
				return
			}
		}
		t.Errorf("CWEs = %v, want %d among them", o.Finding.CWEs, want)
	}
}

func toolID(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.ToolID != want || o.Finding.RuleID != want {
			t.Errorf("tool id = %q, rule id = %q, want %q", o.ToolID, o.Finding.RuleID, want)
		}
	}
}

func vuln(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.Finding.VulnID != want {
			t.Errorf("vuln id = %q, want %q", o.Finding.VulnID, want)
		}
		wantKind := model.KindVulnerability
		if want == "" {
			wantKind = o.Finding.Kind
			if wantKind == model.KindVulnerability {
				t.Errorf("kind vulnerability without a vuln id")
			}
		}
		if o.Finding.Kind != wantKind {
			t.Errorf("kind = %q, want %q", o.Finding.Kind, wantKind)
		}
	}
}

func kind(want model.FindingKind) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.Finding.Kind != want {
			t.Errorf("kind = %q, want %q", o.Finding.Kind, want)
		}
	}
}

func anchorPrefix(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if !strings.HasPrefix(o.Anchor, want) {
			t.Errorf("anchor = %q, want prefix %q", o.Anchor, want)
		}
	}
}

func refs(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		for _, r := range o.Finding.References {
			if r == want {
				return
			}
		}
		t.Errorf("references = %v, want %q among them", o.Finding.References, want)
	}
}

// TestManifestDetails checks the manifest's per-finding assertions that map
// onto ctem's model (indexes are DefectDojo's, which ctem's order keeps).
func TestManifestDetails(t *testing.T) {
	checks := []check{
		{"appendix_k.sarif", 0, file("collections/list.h", 15)},
		{"appendix_k.sarif", 0, sev(model.SevHigh)},
		{"appendix_k2.sarif", 0, title(`Variable "count" was used without being initialized.`)},
		{"appendix_k2.sarif", 0, file("src/collections/list.cpp", 15)},
		{"appendix_k3.sarif", 0, title(`The insecure method "Crypto.Sha1.Encrypt" should not be used.`)},
		{"appendix_k4.sarif", 0, titlePrefix(`Variable "ptr" was used without being initialized. It was declared [he`)},
		{"appendix_k4.sarif", 0, toolID("C2001")},
		{"appendix_k4.sarif", 0, file("collections/list.h", 0)},
		{"appendix_k4.sarif", 0, func(t *testing.T, o report.Observation) {
			if o.Finding.Remediation != "Initialize the variable to null" {
				t.Errorf("remediation = %q", o.Finding.Remediation)
			}
		}},
		{"bash-report.sarif", 0, file("file:///home/damien/dd/docker/setEnv.sh", 0)},
		{"bash-report.sarif", 0, vuln("")},
		{"bash-report.sarif", 6, titlePrefix("Decimals are not supported. Either use integers only, or use bc or awk")},
		{"bash-report.sarif", 6, sev(model.SevInfo)},
		{"bash-report.sarif", 6, vuln("")},
		{"bash-report.sarif", 6, anchorPrefix("scanFileHash:5b05533780915bfc|scanPrimaryLocationHash:4d655189c485c086")},
		{"codeQL-output.sarif", 7, file("good/mod_user.py", 33)},
		{"codeQL-output.sarif", 7, sev(model.SevHigh)},
		{"codeQL-output.sarif", 7, cwe(628)},
		{"codeQL-output.sarif", 7, anchorPrefix("primaryLocationLineHash:15e245a0c9ecd61e:1")},
		{"dependency_check.sarif", 0, filePrefix("file:////src/.venv/lib/python3.9/site-packages/tastypie_swagger/static")},
		{"dependency_check.sarif", 6, titlePrefix("CVE-2019-11358 - jQuery before 3.4.0, as used in Drupal, Backdrop CMS,")},
		{"dependency_check.sarif", 6, sev(model.SevHigh)},
		{"dependency_check.sarif", 6, vuln("CVE-2019-11358")},
		{"dockle_0_3_15.sarif", 0, toolID("CIS-DI-0010")},
		{"dockle_0_3_15.sarif", 0, sev(model.SevHigh)},
		{"dockle_0_3_15.sarif", 0, refs("https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#CIS-DI-0010")},
		{"dockle_0_3_15.sarif", 0, kind(model.KindMisconfiguration)},
		{"dockle_0_3_15.sarif", 1, toolID("CIS-DI-0005")},
		{"dockle_0_3_15.sarif", 1, sev(model.SevInfo)},
		{"dockle_0_3_15.sarif", 2, toolID("CIS-DI-0006")},
		{"dockle_0_3_15.sarif", 2, sev(model.SevInfo)},
		{"dockle_0_3_15.sarif", 2, title("not found HEALTHCHECK statement")},
		{"dockle_0_3_15.sarif", 3, toolID("CIS-DI-0008")},
		{"dockle_0_3_15.sarif", 3, sev(model.SevInfo)},
		{"flawfinder.sarif", 0, titlePrefix("random/setstate:This function is not sufficiently random for security-")},
		{"flawfinder.sarif", 0, sev(model.SevHigh)},
		{"flawfinder.sarif", 0, file("src/tree/param.cc", 29)},
		{"flawfinder.sarif", 0, cwe(327)},
		{"flawfinder.sarif", 0, toolID("FF1048")},
		{"flawfinder.sarif", 0, anchorPrefix("contextHash/v1:e6c1ad2b1d96ffc4035ed8df070600566ad240b8ded025dac30620f3fd4aa9fd")},
		{"flawfinder.sarif", 20, titlePrefix("buffer/memcpy:Does not check for buffer overflows when copying to dest")},
		{"flawfinder.sarif", 20, sev(model.SevInfo)},
		{"flawfinder.sarif", 20, file("src/common/io.cc", 31)},
		{"flawfinder.sarif", 20, cwe(120)},
		{"flawfinder.sarif", 20, toolID("FF1004")},
		{"flawfinder.sarif", 20, anchorPrefix("contextHash/v1:327fc54b75ab37bbbb31a1b71431aaefa8137ff755acc103685ad5adf88f5dda")},
		{"flawfinder.sarif", 52, titlePrefix("buffer/sscanf:The scanf() family's %s operation, without a limit speci")},
		{"flawfinder.sarif", 52, sev(model.SevHigh)},
		{"flawfinder.sarif", 52, file("src/cli_main.cc", 0)},
		{"gitleaks_7.5.0.sarif", 0, title("AWS Access Key secret detected")},
		{"gitleaks_7.5.0.sarif", 0, sev(model.SevMedium)},
		{"gitleaks_7.5.0.sarif", 0, file("dojo/unittests/scans/gitlab_secret_detection_report/gitlab_secret_detection_report_1_vuln.json", 13)},
		{"gitleaks_7.5.0.sarif", 0, kind(model.KindSecret)},
		{"gitleaks_7.5.0.sarif", 3, title("AWS Access Key secret detected")},
		{"gitleaks_7.5.0.sarif", 3, sev(model.SevMedium)},
		{"gitleaks_7.5.0.sarif", 3, filePrefix("dojo/unittests/scans/gitlab_secret_detection_report/gitlab_secret_dete")},
		{"gitleaks_7.5.0.sarif", 3, line(44)},
		{"gitleaks_7.5.0.sarif", 7, title("AWS Access Key secret detected")},
		{"gitleaks_7.5.0.sarif", 7, file("dojo/unittests/tools/test_gitlab_secret_detection_report_parser.py", 37)},
		{"gitleaks_7.5.0.sarif", 0, func(t *testing.T, o report.Observation) {
			if o.Secret != "AKIAIOSFODNN7EXAMPLE" {
				t.Errorf("secret = %q", o.Secret)
			}
			if strings.Contains(o.Evidence, o.Secret) || strings.Contains(o.Finding.Title, o.Secret) {
				t.Errorf("secret leaked: evidence %q", o.Evidence)
			}
		}},
		{"njsscan.sarif", 0, file("file:///src/index.js", 0)},
		{"njsscan.sarif", 0, cwe(327)},
		{"njsscan.sarif", 1, file("file:///src/index.js", 235)},
		{"njsscan.sarif", 1, cwe(798)},
		{"semgrepowasp-benchmark-sample.sarif", 0, file("src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02660.java", 0)},
		{"taint-python-report.sarif", 0, file("file:///home/damien/dd/dojo/tools/veracode/parser.py", 0)},
		{"taint-python-report.sarif", 0, vuln("")},
		{"taint-python-report.sarif", 2, file("file:///home/damien/dd/dojo/tools/qualys_infrascan_webgui/parser.py", 169)},
		{"taint-python-report.sarif", 6, titlePrefix("XML injection with user data from `filename in parser_helper.py:167` i")},
		{"taint-python-report.sarif", 6, sev(model.SevHigh)},
		{"taint-python-report.sarif", 10, anchorPrefix("scanFileHash:4bc9f13947613303|scanPrimaryLocationHash:1a8bbb28fe7380df")},
		{"SuppressionTestCurrent.sarif", 0, title("New suppressed result.")},
		{"SuppressionTestCurrent.sarif", 0, evidencePrefix("suppressed")},
		{"issue_10191.json", 0, sev(model.SevMedium)},
		{"issue_10191.json", 0, cwe(22)},
	}
	cache := map[string]*reporttest.Recorder{}
	for _, c := range checks {
		rec := cache[c.file]
		if rec == nil {
			rec = reporttest.ParseCorpus(t, sarif.New(), "sarif/"+c.file)
			cache[c.file] = rec
		}
		if c.index >= len(rec.Observations) {
			t.Errorf("%s: no finding[%d]", c.file, c.index)
			continue
		}
		t.Run(c.file, func(t *testing.T) { c.fn(t, rec.Observations[c.index]) })
	}
}

func line(want int) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if o.Finding.Location.Line != want {
			t.Errorf("line = %d, want %d", o.Finding.Location.Line, want)
		}
	}
}

func evidencePrefix(want string) func(*testing.T, report.Observation) {
	return func(t *testing.T, o report.Observation) {
		t.Helper()
		if !strings.HasPrefix(o.Evidence, want) {
			t.Errorf("evidence = %q, want prefix %q", o.Evidence, want)
		}
	}
}

// TestSuppression: suppressed results are emitted, marked in Evidence.
func TestSuppression(t *testing.T) {
	rec := reporttest.ParseCorpus(t, sarif.New(), "sarif/suppression_test.sarif")
	for i, o := range rec.Observations {
		suppressed := strings.HasPrefix(o.Evidence, "suppressed")
		if want := o.Finding.Title == "Suppressed"; suppressed != want {
			t.Errorf("finding[%d] %q: evidence %q", i, o.Finding.Title, o.Evidence)
		}
	}
}

func TestAssets(t *testing.T) {
	rec := reporttest.ParseCorpus(t, sarif.New(), "sarif/bash-report.sarif")
	want := []report.AssetRef{{
		Kind:        model.AssetRepository,
		Name:        "https://github.com/damiencarol/django-DefectDojo",
		Identifiers: []model.Identifier{{Kind: model.IDRepoURL, Value: "https://github.com/damiencarol/django-DefectDojo"}},
		Attributes:  map[string]string{"branch": "dev"},
	}}
	if diff := cmp.Diff(want, rec.Assets); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	// The provenance follows the results in this file: a seekable reader
	// lets every observation carry it.
	for i, o := range rec.Observations {
		if diff := cmp.Diff(want[0], o.Asset); diff != "" {
			t.Fatalf("finding[%d] asset (-want +got):\n%s", i, diff)
		}
	}
	// Without seeking, late provenance cannot be used; the asset is then a
	// repository without identifiers, consistently.
	data, err := os.ReadFile(filepath.Join(reporttest.CorpusDir(t), "sarif/bash-report.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	rec2 := parse(t, onlyReader{bytes.NewReader(data)})
	if len(rec2.Assets) != 1 || len(rec2.Assets[0].Identifiers) != 0 || rec2.Assets[0].Kind != model.AssetRepository {
		t.Errorf("non-seekable assets = %+v", rec2.Assets)
	}
	if len(rec2.Observations) != 27 {
		t.Errorf("non-seekable observations = %d", len(rec2.Observations))
	}
	// No provenance: one repository asset without identifiers.
	rec3 := reporttest.ParseCorpus(t, sarif.New(), "sarif/appendix_k1.sarif")
	if diff := cmp.Diff([]report.AssetRef{{Kind: model.AssetRepository}}, rec3.Assets); diff != "" {
		t.Errorf("appendix_k1 assets (-want +got):\n%s", diff)
	}
}

// onlyReader hides Seek.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func parse(t *testing.T, r io.Reader) *reporttest.Recorder {
	t.Helper()
	rec := &reporttest.Recorder{}
	if err := sarif.New().Parse(context.Background(), r, rec); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return rec
}

func parseString(t *testing.T, doc string) *reporttest.Recorder {
	t.Helper()
	return parse(t, strings.NewReader(doc))
}

// TestResultsBeforeTool: a run whose results precede its rules is held and
// resolved once the rules are known.
func TestResultsBeforeTool(t *testing.T) {
	doc := `{"runs":[{"results":[{"ruleIndex":0,"message":{"id":"m","arguments":["x"]},
	  "locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":3,"snippet":{"text":"  gets(x);  "}}}}]}],
	  "tool":{"driver":{"name":"T","rules":[{"id":"R1","shortDescription":{"text":"Short"},
	    "messageStrings":{"m":{"text":"Bad {0} here"}},"defaultConfiguration":{"level":"error"},
	    "properties":{"tags":["external/cwe/cwe-242"]}}]}},
	  "versionControlProvenance":[{"repositoryUri":"https://git.example/r.git"}]}]}`
	for _, r := range []io.Reader{strings.NewReader(doc), onlyReader{strings.NewReader(doc)}} {
		rec := parse(t, r)
		if len(rec.Observations) != 1 {
			t.Fatalf("observations = %d", len(rec.Observations))
		}
		o := rec.Observations[0]
		want := model.Finding{
			Kind: model.KindCodeWeakness, Title: "Bad x here", Description: "Bad x here\n\nShort",
			Severity: model.SevHigh, RuleID: "R1", CWEs: []int{242},
			Location: model.Location{File: "a.c", Line: 3},
		}
		if diff := cmp.Diff(want, o.Finding); diff != "" {
			t.Errorf("finding (-want +got):\n%s", diff)
		}
		if o.Evidence != "gets(x);" || !strings.HasPrefix(o.Anchor, "snippet:") {
			t.Errorf("evidence %q anchor %q", o.Evidence, o.Anchor)
		}
	}
}

// TestMapping covers rule lookup, severity sources, kinds and anchors.
func TestMapping(t *testing.T) {
	doc := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Grype","rules":[
	    {"id":"CVE-2021-44228-log4j-core","properties":{"security-severity":"10.0","tags":["security"]}},
	    {"id":"GHSA-jfh8-c2jp-5v3q","properties":{"security-severity":"high"}},
	    {"id":"plain","defaultConfiguration":{"level":"note"},"properties":{"severity":"critical"}}]},
	  "extensions":[{"name":"pack","rules":[{"id":"ext/rule","shortDescription":{"text":"Ext"},"defaultConfiguration":{"level":"warning"}}]}]},
	  "results":[
	    {"ruleId":"CVE-2021-44228-log4j-core","ruleIndex":0,"message":{"text":"Package: log4j-core\nInstalled Version: 2.13.2\nFixed Version: 2.15.0"},
	     "properties":{"cvssV3_vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}},
	    {"ruleId":"GHSA-jfh8-c2jp-5v3q","message":{"text":"ghsa"}},
	    {"ruleId":"plain","message":{"text":"p"},"level":"none"},
	    {"ruleId":"plain","message":{"text":"p2"}},
	    {"rule":{"id":"ext/rule","index":0,"toolComponent":{"index":0}},"message":{"text":"e"}},
	    {"ruleId":"unknown","message":{"text":"u"}},
	    {"ruleId":"plain","kind":"pass","message":{"text":"skipped"}},
	    {"ruleId":"plain","baselineState":"absent","message":{"text":"gone"}},
	    {"ruleId":"plain","message":{"text":"same"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"f.go"},"region":{"startLine":1}}}]},
	    {"ruleId":"plain","message":{"text":"same"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"f.go"},"region":{"startLine":9}}}]},
	    {"ruleId":"plain","message":{"text":"s"},"suppressions":[{"kind":"inSource","status":"rejected"}]},
	    {"ruleId":"plain","message":{"text":"s"},"suppressions":[{"kind":"external","status":"underReview"}]},
	    {"ruleId":"plain","message":{"text":"fp"},"fingerprints":{"a/v1":"old","a/v2":"new","b/v9":"other"}}
	  ]}]}`
	rec := parseString(t, doc)
	obs := rec.Observations
	if len(obs) != 11 {
		t.Fatalf("observations = %d, want 11", len(obs))
	}
	type row struct {
		Kind    model.FindingKind
		Sev     model.Severity
		ToolSev string
		Vuln    string
		Title   string
	}
	var got []row
	for _, o := range obs {
		got = append(got, row{o.Finding.Kind, o.Finding.Severity, o.ToolSeverity, o.Finding.VulnID, o.Finding.Title})
	}
	want := []row{
		{model.KindVulnerability, model.SevCritical, "10.0", "CVE-2021-44228", "Package: log4j-core Installed Version: 2.13.2 Fixed Version: 2.15.0"},
		{model.KindVulnerability, model.SevHigh, "high", "GHSA-jfh8-c2jp-5v3q", "ghsa"},
		{model.KindVulnerability, model.SevInfo, "none", "", "p"},
		{model.KindCodeWeakness, model.SevInfo, "note", "", "p2"},
		{model.KindCodeWeakness, model.SevMedium, "warning", "", "e"},
		{model.KindCodeWeakness, model.SevMedium, "", "", "u"},
		{model.KindCodeWeakness, model.SevInfo, "note", "", "same"},
		{model.KindCodeWeakness, model.SevInfo, "note", "", "same"},
		{model.KindCodeWeakness, model.SevInfo, "note", "", "s"},
		{model.KindCodeWeakness, model.SevInfo, "note", "", "s"},
		{model.KindCodeWeakness, model.SevInfo, "note", "", "fp"},
	}
	// Grype's tool name is not a secret or IaC scanner; "plain" has no CVE:
	// its kind comes from the default.
	want[2].Kind = model.KindCodeWeakness
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	c := obs[0].Finding
	if diff := cmp.Diff(model.Component{Name: "log4j-core", Version: "2.13.2", FixedVersion: "2.15.0"}, c.Component); diff != "" {
		t.Errorf("component (-want +got):\n%s", diff)
	}
	if len(c.CVSS) != 1 || c.CVSS[0].Score != 10 {
		t.Errorf("cvss = %+v", c.CVSS)
	}
	if obs[4].Finding.RuleID != "ext/rule" || obs[4].Finding.Description != "e\n\nExt" {
		t.Errorf("extension rule not resolved: %+v", obs[4].Finding)
	}
	if obs[6].Anchor == obs[7].Anchor || !strings.HasSuffix(obs[7].Anchor, "#2") {
		t.Errorf("repeated anchors not numbered: %q %q", obs[6].Anchor, obs[7].Anchor)
	}
	if obs[8].Evidence != "" || obs[9].Evidence != "suppression under review (external)" {
		t.Errorf("suppression evidence %q / %q", obs[8].Evidence, obs[9].Evidence)
	}
	if obs[10].Anchor != "a/v2:new" {
		t.Errorf("fingerprint anchor = %q", obs[10].Anchor)
	}
}

// TestMultiLocation: one result over several locations gives one
// observation per location, each with its own anchor.
func TestMultiLocation(t *testing.T) {
	rec := reporttest.ParseCorpus(t, sarif.New(), "sarif/mobsfscan.json")
	seen := map[string]bool{}
	for i, o := range rec.Observations {
		key := o.Finding.Location.File + "|" + o.Anchor
		if seen[key] {
			t.Errorf("finding[%d]: duplicate anchor %q", i, key)
		}
		seen[key] = true
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	ents, err := os.ReadDir(filepath.Join(dir, "sarif"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if s := sarif.New().Detect(reporttest.Head(t, filepath.Join(dir, "sarif", e.Name()))); s <= 0 {
			t.Errorf("%s not detected", e.Name())
		}
	}
	for _, other := range []string{
		"trivy/kubernetes.json", "cyclonedx/log4j.json", "cyclonedx/log4j.xml", "zap/0_zap_sample.xml",
		"nmap/nmap_multiple_port.xml", "checkov/checkov-report-0-vuln.json", "semgrep/many_findings.json", "gitleaks/gitleaks8_many.json",
	} {
		path := filepath.Join(dir, other)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("missing %s: %v", other, err)
			continue
		}
		if s := sarif.New().Detect(reporttest.Head(t, path)); s != 0 {
			t.Errorf("%s detected with %d", other, s)
		}
	}
	for _, s := range []string{"", "{}", `{"runs":1}`, "[]", `{"results":[]}`, "<xml/>"} {
		if got := sarif.New().Detect([]byte(s)); got != 0 {
			t.Errorf("Detect(%q) = %d", s, got)
		}
	}
}

func TestErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(reporttest.CorpusDir(t), "sarif/codeQL-output.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":        "",
		"garbage":      "this is not json",
		"array":        "[]",
		"no runs":      `{"version":"2.1.0"}`,
		"runs object":  `{"runs":{}}`,
		"results type": `{"runs":[{"tool":{"driver":{"name":"x"}},"results":{}}]}`,
		"truncated":    string(data[:len(data)/2]),
		"trailing":     `{"runs":[]} {}`,
		"bad result":   `{"runs":[{"tool":{"driver":{"name":"x"}},"results":[{"locations":"x"}]}]}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(doc), onlyReader{strings.NewReader(doc)}} {
				err := sarif.New().Parse(context.Background(), r, &reporttest.Recorder{})
				var pe *report.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error = %v (%T), want a ParseError", err, err)
				}
				if pe.Offset < 0 && pe.Line == 0 {
					t.Errorf("no position in %v", pe)
				}
			}
		})
	}
}

func TestBOM(t *testing.T) {
	rec := parseString(t, "\xEF\xBB\xBF"+`{"runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"}}]}]}`)
	if len(rec.Observations) != 1 {
		t.Errorf("observations = %d", len(rec.Observations))
	}
	if sarif.New().Detect([]byte("\xEF\xBB\xBF"+`{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}`)) == 0 {
		t.Error("BOM-prefixed log not detected")
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fh, err := os.Open(filepath.Join(reporttest.CorpusDir(t), "sarif/semgrepowasp-benchmark-sample.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := sarif.New().Parse(ctx, fh, &reporttest.Recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestClassify(t *testing.T) {
	doc := `{"runs":[
	  {"tool":{"driver":{"name":"Snyk Open Source","rules":[{"id":"SNYK-JS-LODASH-567746","properties":{"tags":["security","CWE-400"]}}]}},
	   "results":[{"ruleId":"SNYK-JS-LODASH-567746","message":{"text":"m"}}]},
	  {"tool":{"driver":{"name":"Trivy","rules":[{"id":"AVD-AWS-0086","properties":{"tags":["misconfiguration","security","HIGH"]}},
	     {"id":"aws-access-key-id","properties":{"tags":["secret","security","CRITICAL"]}}]}},
	   "results":[{"ruleId":"AVD-AWS-0086","message":{"text":"m"}},{"ruleId":"aws-access-key-id","message":{"text":"m"},
	     "locations":[{"physicalLocation":{"artifactLocation":{"uri":"a"},"region":{"snippet":{"text":"AKIA****"}}}}]}]},
	  {"tool":{"driver":{"name":"CodeQL","rules":[{"id":"go/sql-injection","properties":{"tags":["security","external/cwe/cwe-089"]}}]}},
	   "results":[{"ruleId":"go/sql-injection","message":{"text":"m"}}]}]}`
	rec := parseString(t, doc)
	var got []model.FindingKind
	for _, o := range rec.Observations {
		got = append(got, o.Finding.Kind)
	}
	want := []model.FindingKind{model.KindVulnerability, model.KindMisconfiguration, model.KindSecret, model.KindCodeWeakness}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	if rec.Observations[0].Finding.VulnID != "SNYK-JS-LODASH-567746" {
		t.Errorf("vuln id = %q", rec.Observations[0].Finding.VulnID)
	}
	// A redacted secret is no secret value, and stays out of evidence.
	if o := rec.Observations[2]; o.Secret != "" || strings.Contains(o.Evidence, "AKIA") {
		t.Errorf("redacted secret: %+v", o)
	}
	if diff := cmp.Diff([]int{89}, rec.Observations[3].Finding.CWEs); diff != "" {
		t.Errorf("cwes (-want +got):\n%s", diff)
	}
}
