package testssl_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/testssl"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ctemCounts lists files where ctem's count differs from the manifest.
var ctemCounts = map[string]int{
	// DefectDojo makes one finding per CVE of a row; testssl.sh reports
	// one check, so ctem keeps one finding with the other CVEs as aliases
	// (DROWN: CVE-2016-0800 + CVE-2016-0703).
	"testssl/many_cves.csv":        1,
	"testssl/overall_critical.csv": 143, // 145: two rows carry two CVEs each
	// engine_problem (WARN) and scanProblem (FATAL) are about testssl.sh
	// itself (a local OpenSSL without an engine, a failed connection): no
	// finding, and the target is not counted as covered.
	"testssl/defectdojo_one_vuln.csv": 0,
	"testssl/failed_target.csv":       0,
	// One host (www.defectdojo.org) scanned on its four addresses: ctem
	// keeps one observation per host, port and check; DefectDojo keeps one
	// per distinct (id, text, CVE), so checks whose text differs per
	// address (HTTP_clock_skew, X-Served-By) count several times, and the
	// engine_problem row counts once.
	"testssl/defectdojo_many_vuln.csv": 94,
}

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "testssl" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, testssl.New(), row.File)
			want, ok := ctemCounts[row.File]
			if !ok {
				want = row.Expected
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d", got, want)
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for testssl")
	}
}

func byID(rec *reporttest.Recorder, id string) []report.Observation {
	var out []report.Observation
	for _, o := range rec.Observations {
		if o.ToolID == id {
			out = append(out, o)
		}
	}
	return out
}

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := testssl.New()

	t.Run("many_cves", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "testssl/many_cves.csv")
		o := rec.Observations[0]
		if o.Finding.RuleID != "DROWN" || o.Finding.Severity != model.SevHigh || o.Finding.Kind != model.KindVulnerability ||
			o.Finding.VulnID != "CVE-2016-0800" || !cmp.Equal(o.Finding.Aliases, []string{"CVE-2016-0703"}) || !cmp.Equal(o.Finding.CWEs, []int{310}) {
			t.Errorf("DROWN = %+v", o.Finding)
		}
		want := report.AssetRef{Kind: model.AssetHost, Name: "www.defectdojo.org", Identifiers: []model.Identifier{
			{Kind: model.IDFQDN, Value: "www.defectdojo.org"}, {Kind: model.IDIPv4, Value: "185.199.109.153"},
		}}
		if diff := cmp.Diff(want, o.Asset); diff != "" {
			t.Errorf("asset (-want +got):\n%s", diff)
		}
		wantLoc := model.Location{Port: 443, Protocol: "tcp", Service: "https", URL: "https://www.defectdojo.org"}
		if diff := cmp.Diff(wantLoc, o.Finding.Location); diff != "" {
			t.Errorf("location (-want +got):\n%s", diff)
		}
	})

	t.Run("defectdojo_many_vuln", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "testssl/defectdojo_many_vuln.csv")
		avg := byID(rec, "cipherlist_AVERAGE")
		if len(avg) != 1 || avg[0].Finding.Severity != model.SevLow || !cmp.Equal(avg[0].Finding.CWEs, []int{310}) || avg[0].Finding.Kind != model.KindMisconfiguration {
			t.Errorf("cipherlist_AVERAGE = %+v", avg)
		}
		lucky := byID(rec, "LUCKY13")
		if len(lucky) != 1 || lucky[0].Finding.Severity != model.SevLow || lucky[0].Finding.VulnID != "CVE-2013-0169" || !cmp.Equal(lucky[0].Finding.CWEs, []int{310}) {
			t.Errorf("LUCKY13 = %+v", lucky)
		}
		// Four addresses of one name: four asset references, one host.
		if len(rec.Assets) != 4 {
			t.Errorf("assets = %d, want 4", len(rec.Assets))
		}
		for _, a := range rec.Assets {
			if a.Name != "www.defectdojo.org" || a.Identifiers[0] != (model.Identifier{Kind: model.IDFQDN, Value: "www.defectdojo.org"}) {
				t.Errorf("asset = %+v", a)
			}
		}
		if len(byID(rec, "engine_problem")) != 0 {
			t.Error("engine_problem reported as a finding")
		}
		if len(byID(rec, "final_score")) != 0 || len(byID(rec, "overall_grade")) != 0 {
			t.Error("scores reported as findings")
		}
	})

	t.Run("overall_critical", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "testssl/overall_critical.csv")
		hist := map[model.Severity]int{}
		for _, o := range rec.Observations {
			hist[o.Finding.Severity]++
		}
		want := map[model.Severity]int{model.SevCritical: 11, model.SevMedium: 12, model.SevLow: 34, model.SevInfo: 86}
		if diff := cmp.Diff(want, hist); diff != "" {
			t.Errorf("severities (-want +got):\n%s", diff)
		}
	})

	t.Run("failed target is not covered", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "testssl/failed_target.csv")
		if len(rec.Assets) != 0 || len(rec.Observations) != 0 {
			t.Errorf("assets %d observations %d, want none", len(rec.Assets), len(rec.Observations))
		}
	})
}

func TestJSON(t *testing.T) {
	flat := `[
  {
    "id"           : "engine_problem",
    "ip"           : "/",
    "port"         : "443",
    "severity"     : "WARN",
    "finding"      : "No engine or GOST support via engine with your ./bin/openssl.Linux.x86_64"
  },
  {
    "id"           : "heartbleed",
    "ip"           : "example.com/93.184.216.34",
    "port"         : "443",
    "severity"     : "OK",
    "cve"          : "CVE-2014-0160",
    "cwe"          : "CWE-119",
    "finding"      : "not vulnerable , no heartbeat extension"
  },
  {
    "id"           : "SWEET32",
    "ip"           : "example.com/93.184.216.34",
    "port"         : "443",
    "severity"     : "LOW",
    "cve"          : "CVE-2016-2183 CVE-2016-6329",
    "cwe"          : "CWE-327",
    "finding"      : "uses 64 bit block ciphers",
    "hint"         : "disable 3DES"
  }
]`
	pretty := `{
  "Invocation"  : "testssl.sh --jsonfile-pretty x example.com",
  "at"          : "host:./bin/openssl.Linux.x86_64",
  "version"     : "3.0.8 ",
  "startTime"   : "1700000000",
  "scanResult"  : [
    {
      "targetHost"  : "example.com",
      "ip"          : "93.184.216.34",
      "port"        : "443",
      "rDNS"        : "",
      "service"     : "HTTP",
      "pretest"     : [ { "id": "pre_128cipher", "severity": "INFO", "finding": "No 128 cipher limit bug" } ],
      "vulnerabilities" : [
        { "id": "heartbleed", "severity": "OK", "cve": "CVE-2014-0160", "cwe": "CWE-119", "finding": "not vulnerable" },
        { "id": "SWEET32", "severity": "LOW", "cve": "CVE-2016-2183 CVE-2016-6329", "cwe": "CWE-327", "finding": "uses 64 bit block ciphers", "hint": "disable 3DES" }
      ],
      "rating" : [ { "id": "overall_grade", "severity": "MEDIUM", "finding": "B" } ]
    }
  ],
  "scanTime"  : 71
}`
	for name, in := range map[string]string{"flat": flat, "pretty": pretty} {
		t.Run(name, func(t *testing.T) {
			f := testssl.New()
			if f.Detect([]byte(in)) == 0 {
				t.Fatal("not detected")
			}
			rec := &reporttest.Recorder{}
			if err := f.Parse(context.Background(), strings.NewReader(in), rec); err != nil {
				t.Fatal(err)
			}
			sweet := byID(rec, "SWEET32")
			if len(sweet) != 1 {
				t.Fatalf("SWEET32 observations = %d", len(sweet))
			}
			o := sweet[0]
			if o.Finding.VulnID != "CVE-2016-2183" || !cmp.Equal(o.Finding.Aliases, []string{"CVE-2016-6329"}) || o.Finding.Severity != model.SevLow ||
				o.Asset.Name != "example.com" || o.Finding.Location.Port != 443 || !strings.Contains(o.Evidence, "Hint: disable 3DES") {
				t.Errorf("SWEET32 = %+v", o)
			}
			if len(byID(rec, "heartbleed")) != 0 || len(byID(rec, "overall_grade")) != 0 || len(byID(rec, "engine_problem")) != 0 {
				t.Error("OK rows, grades or tool problems reported")
			}
		})
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := testssl.New()
	files, _ := filepath.Glob(filepath.Join(dir, "testssl", "*"))
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
		if filepath.Base(filepath.Dir(p)) == "testssl" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "testssl", "demo.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":          "",
		"garbage":        "garbage\x00",
		"truncated csv":  string(data[:len(data)/2]) + `"unterminated`,
		"truncated json": `[{"id":"x","ip":"a/1.2.3.4"`,
		"wrong json":     `{"scanResult":{}}`,
		"pretty no scan": `{"Invocation":"testssl.sh"}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := testssl.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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
