package qualysvmdr_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	qualysvmdr "github.com/ctemhq/ctem/internal/discover/formats/qualys_vmdr"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ctemCounts lists files where ctem's count differs from the manifest: a
// row with Status FIXED is a detection Qualys says is gone. DefectDojo
// imports it as an inactive finding; ctem leaves it out (and still reports
// the asset as covered) so that the lifecycle marks the finding fixed.
var ctemCounts = map[string]int{
	"qualys_vmdr/many_vulns_cve.csv": 4, // 5 rows, QID 800003 FIXED
	"qualys_vmdr/many_vulns_qid.csv": 4, // 5 rows, QID 100003 FIXED
}

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "qualys_vmdr" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, qualysvmdr.New(), row.File)
			want, ok := ctemCounts[row.File]
			if !ok {
				want = row.Expected
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d", got, want)
			}
			// Every row's asset is covered, fixed or not.
			if len(rec.Assets) != row.Expected {
				t.Errorf("assets = %d, want %d (one per row)", len(rec.Assets), row.Expected)
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for qualys_vmdr")
	}
}

func byQID(rec *reporttest.Recorder, qid string) (report.Observation, bool) {
	for _, o := range rec.Observations {
		if o.ToolID == qid {
			return o, true
		}
	}
	return report.Observation{}, false
}

func TestQIDContent(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, qualysvmdr.New(), "qualys_vmdr/many_vulns_qid.csv")
	for qid, sev := range map[string]model.Severity{
		"100001": model.SevInfo, "100002": model.SevLow, "100004": model.SevHigh, "100005": model.SevCritical,
	} {
		o, ok := byQID(rec, qid)
		if !ok {
			t.Errorf("QID %s missing", qid)
			continue
		}
		if o.Finding.Severity != sev {
			t.Errorf("QID %s severity = %s, want %s", qid, o.Finding.Severity, sev)
		}
	}
	// QID 100003 is FIXED: no observation, but its two-address asset is covered.
	if _, ok := byQID(rec, "100003"); ok {
		t.Error("FIXED QID 100003 emitted")
	}
	var app *report.AssetRef
	for i := range rec.Assets {
		if rec.Assets[i].Name == "appserver01" {
			app = &rec.Assets[i]
		}
	}
	if app == nil {
		t.Fatal("appserver01 not reported")
	}
	wantIDs := []model.Identifier{
		{Kind: model.IDHostname, Value: "appserver01"},
		{Kind: model.IDIPv4, Value: "10.0.0.20"},
		{Kind: model.IDIPv4, Value: "10.0.0.21"},
	}
	if diff := cmp.Diff(wantIDs, app.Identifiers); diff != "" {
		t.Errorf("appserver01 identifiers (-want +got):\n%s", diff)
	}
	// IPv6 fallback when there is no IPv4 address.
	o, _ := byQID(rec, "100005")
	wantAsset := report.AssetRef{
		Kind:        model.AssetHost,
		Name:        "dbserver01",
		Identifiers: []model.Identifier{{Kind: model.IDHostname, Value: "dbserver01"}, {Kind: model.IDIPv6, Value: "2001:db8::1"}},
		Attributes:  map[string]string{"os": "Windows Server 2016", "qualys_asset_id": "100000005", "tags": "Database,Production,Critical"},
	}
	if diff := cmp.Diff(wantAsset, o.Asset); diff != "" {
		t.Errorf("QID 100005 asset (-want +got):\n%s", diff)
	}
	if o.Finding.Location != (model.Location{Port: 445, Protocol: "tcp"}) || o.Finding.Title != "Critical RCE Vulnerability" ||
		o.Evidence != "SMB vulnerability confirmed" || o.Finding.Remediation != "Apply vendor patch immediately." {
		t.Errorf("QID 100005 = %+v", o)
	}
}

func TestCVEContent(t *testing.T) {
	reporttest.CorpusDir(t)
	for _, file := range []string{"qualys_vmdr/one_vuln_cve.csv", "qualys_vmdr/one_vuln_no_metadata_cve.csv"} {
		rec := reporttest.ParseCorpus(t, qualysvmdr.New(), file)
		o := rec.Observations[0]
		if o.ToolID != "730143" || o.Finding.VulnID != "CVE-2021-44228" || o.Finding.Severity != model.SevCritical {
			t.Errorf("%s: %q %q %s", file, o.ToolID, o.Finding.VulnID, o.Finding.Severity)
		}
		if !strings.Contains(o.Finding.Description, "CVE-2021-44228") || !strings.Contains(o.Finding.Description, "Log4j") {
			t.Errorf("%s: description %q", file, o.Finding.Description)
		}
		if strings.Contains(o.Finding.Description, "<P>") {
			t.Errorf("%s: HTML left in description %q", file, o.Finding.Description)
		}
		if o.Finding.Location != (model.Location{Port: 8080, Protocol: "tcp"}) || o.Asset.Name != "javaapp01" {
			t.Errorf("%s: location %+v on %q", file, o.Finding.Location, o.Asset.Name)
		}
	}
	rec := reporttest.ParseCorpus(t, qualysvmdr.New(), "qualys_vmdr/many_vulns_cve.csv")
	o, _ := byQID(rec, "800004")
	// Protocol "'-" and port 0: no location.
	if o.Finding.Location != (model.Location{}) || o.Finding.VulnID != "CVE-2023-0004" {
		t.Errorf("QID 800004 = %+v", o.Finding)
	}
}

func TestNonStandardQuoting(t *testing.T) {
	// Qualys' "non-standard" CSV: every record is one quoted field whose
	// inner fields are separated by ,"".
	in := "\"Asset Vuln Datalist Report\",\"x\"\n" +
		`"QID,""Title"",""Severity"",""Protocol"",""Port"",""Status"",""Asset Id"",""Asset Name"",""Asset IPV4"",""Results"""` + "\n" +
		`"100001,""Weak, thing"",""3"",""TCP"",""22"",""ACTIVE"",""1"",""host-a"",""10.0.0.1"",""said ""hi"""""` + "\n"
	if qualysvmdr.New().Detect([]byte(in)) == 0 {
		t.Fatal("non-standard layout not detected")
	}
	rec := &reporttest.Recorder{}
	if err := qualysvmdr.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Observations) != 1 {
		t.Fatalf("observations = %d", len(rec.Observations))
	}
	o := rec.Observations[0]
	if o.Finding.Title != "Weak, thing" || o.Finding.Severity != model.SevMedium || o.Evidence != `said "hi"` || o.Asset.Name != "host-a" {
		t.Errorf("observation = %+v", o)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := qualysvmdr.New()
	files, _ := filepath.Glob(filepath.Join(dir, "qualys_vmdr", "*"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, p := range files {
		if s := f.Detect(reporttest.Head(t, p)); s <= 0 {
			t.Errorf("%s: Detect = %d, want > 0", filepath.Base(p), s)
		}
	}
	others, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, p := range others {
		if filepath.Base(filepath.Dir(p)) == "qualys_vmdr" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"empty":     "",
		"garbage":   "\x00\x01\x02",
		"no header": "a,b,c\n1,2,3\n",
		"truncated": "\"QID\",\"Title\",\"Asset Id\",\"Asset IPV4\"\n\"1\",\"unterminated",
		"bad quote": "\"QID\",\"Title\",\"Asset Id\",\"Asset IPV4\"\n\"1\",\"a\"b\",\"2\",\"10.0.0.1\"\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := qualysvmdr.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *report.ParseError", err)
			}
			if pe.Line <= 0 && pe.Offset < 0 {
				t.Errorf("error has no position: %v", err)
			}
		})
	}
}
