package cyclonedx_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/cyclonedx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestManifest(t *testing.T) {
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "cyclonedx" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, cyclonedx.New(), row.File)
			if got := len(rec.Observations); got != row.Expected {
				t.Errorf("observations = %d, want %d", got, row.Expected)
			}
			if len(rec.Assets) != 1 {
				t.Errorf("assets = %d, want 1", len(rec.Assets))
			}
			for i, o := range rec.Observations {
				f := o.Finding
				if f.Kind != model.KindVulnerability || f.Severity == "" || f.VulnID == "" || f.Component.Name == "" || o.ToolID == "" {
					t.Errorf("finding[%d] incomplete: %+v", i, o)
				}
				if len(f.Title) > 250 {
					t.Errorf("finding[%d] title too long", i)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for cyclonedx")
	}
	// Not referenced by DefectDojo's tests: the same Grype 0.7 layout as
	// grype_dd_1_14_1.xml, one finding per nested v:vulnerability.
	if got := len(reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/grype.xml").Observations); got != 327 {
		t.Errorf("grype.xml: observations = %d, want 327", got)
	}
}

type summary struct {
	Title     string
	Severity  model.Severity
	Component string
	Version   string
	VulnID    string
	Aliases   []string
}

func sum(o report.Observation) summary {
	f := o.Finding
	return summary{f.Title, f.Severity, f.Component.Name, f.Component.Version, f.VulnID, f.Aliases}
}

func byToolID(t *testing.T, rec *reporttest.Recorder, id string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if o.ToolID == id {
			return o
		}
	}
	t.Fatalf("no finding with tool id %q", id)
	return report.Observation{}
}

// TestManifestDetails checks the manifest's assertions that map onto the
// model. DefectDojo lists every id in vulnerability_ids; ctem picks a CVE
// as VulnID and keeps the rest as aliases (dropping OSS Index UUIDs, which
// stay in ToolID).
func TestManifestDetails(t *testing.T) {
	dd := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/dd_1_15_0.xml")
	for i, want := range map[int]summary{
		0:   {"apt:1.8.2.1 | CVE-2011-3374", model.SevLow, "apt", "1.8.2.1", "CVE-2011-3374", nil},
		5:   {"bind9-host:1:9.11.5.P4+dfsg-5.1+deb10u3 | CVE-2021-25216", model.SevInfo, "bind9-host", "1:9.11.5.P4+dfsg-5.1+deb10u3", "CVE-2021-25216", nil},
		379: {"tar:1.30+dfsg-6 | CVE-2019-9923", model.SevLow, "tar", "1.30+dfsg-6", "CVE-2019-9923", nil},
		380: {"tar:1.30+dfsg-6 | CVE-2021-20193", model.SevLow, "tar", "1.30+dfsg-6", "CVE-2021-20193", nil},
	} {
		if diff := cmp.Diff(want, sum(dd.Observations[i])); diff != "" {
			t.Errorf("dd_1_15_0.xml finding[%d] (-want +got):\n%s", i, diff)
		}
	}

	grype := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/grype_dd_1_14_1.xml")
	for i, want := range map[int]summary{
		0:   {"Django:2.2.18 | GHSA-xgxc-v2qg-chmh", model.SevLow, "Django", "2.2.18", "GHSA-xgxc-v2qg-chmh", nil},
		200: {"libopenjp2-7:2.3.0-2+deb10u2 | CVE-2019-6988", model.SevLow, "libopenjp2-7", "2.3.0-2+deb10u2", "CVE-2019-6988", nil},
	} {
		if diff := cmp.Diff(want, sum(grype.Observations[i])); diff != "" {
			t.Errorf("grype_dd_1_14_1.xml finding[%d] (-want +got):\n%s", i, diff)
		}
	}

	jake := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/jake2.json")
	for id, want := range map[string]summary{
		"c7129ff8-08bc-4afe-82ec-7d97b9491741": {"Django:2.0 | c7129ff8-08bc-4afe-82ec-7d97b9491741", model.SevHigh, "Django", "2.0", "CVE-2021-33203", nil},
		"c9b6a6a5-01a4-4d4c-b480-b9d6825dc4d0": {"Django:2.0 | c9b6a6a5-01a4-4d4c-b480-b9d6825dc4d0", model.SevMedium, "Django", "2.0", "CVE-2018-7536", nil},
		"90cfba6a-ddc9-4708-b131-5d875e8c558d": {"Django:2.0 | 90cfba6a-ddc9-4708-b131-5d875e8c558d", model.SevHigh, "Django", "2.0", "CVE-2018-6188", nil},
	} {
		if diff := cmp.Diff(want, sum(byToolID(t, jake, id))); diff != "" {
			t.Errorf("jake2.json %s (-want +got):\n%s", id, diff)
		}
	}

	for _, file := range []string{"log4j.json", "log4j.xml", "nested-component-log4j.json"} {
		rec := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/"+file)
		o := rec.Observations[0]
		want := summary{"log4j-core:2.13.2 | CVE-2021-44228", model.SevCritical, "log4j-core", "2.13.2", "CVE-2021-44228", nil}
		if diff := cmp.Diff(want, sum(o)); diff != "" {
			t.Errorf("%s finding[0] (-want +got):\n%s", file, diff)
		}
		if !hasVector(o, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") {
			t.Errorf("%s: cvss = %+v", file, o.Finding.CVSS)
		}
		if o.Finding.Component.PURL != "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2" || o.Finding.Component.Ecosystem != "maven" {
			t.Errorf("%s: component = %+v", file, o.Finding.Component)
		}
	}

	mc := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/multiple_cwes_fabricated.xml")
	if diff := cmp.Diff([]int{79, 89}, mc.Observations[0].Finding.CWEs); diff != "" {
		t.Errorf("multiple_cwes CWEs (-want +got):\n%s", diff)
	}

	for _, file := range []string{"spec1.xml", "spec1_lowfirst.xml"} {
		o := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/"+file).Observations[0]
		want := summary{"jackson-databind:2.9.9 | CVE-2018-7489", model.SevCritical, "jackson-databind", "2.9.9", "CVE-2018-7489", nil}
		if diff := cmp.Diff(want, sum(o)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
		if o.ToolID != "CVE-2018-7489" || o.Finding.Remediation != "Upgrade" {
			t.Errorf("%s: tool id %q remediation %q", file, o.ToolID, o.Finding.Remediation)
		}
		if diff := cmp.Diff([]int{184, 502}, o.Finding.CWEs); diff != "" {
			t.Errorf("%s CWEs (-want +got):\n%s", file, diff)
		}
		// The manifest has CVSS:3.1/...: DefectDojo prefixes every bare v3
		// vector with 3.1; ctem reads method "CVSSv3" as CVSS 3.0, as the
		// CycloneDX spec defines it. Same metrics, same score.
		if !hasVector(o, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") {
			t.Errorf("%s: cvss = %+v", file, o.Finding.CVSS)
		}
	}

	for _, file := range []string{"valid-vulnerability-1.4.json", "valid-vulnerability-1.4.xml"} {
		o := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/"+file).Observations[0]
		want := summary{"jackson-databind:2.9.4 | SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111", model.SevCritical, "jackson-databind", "2.9.4",
			"CVE-2018-7489", []string{"SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111"}}
		if diff := cmp.Diff(want, sum(o)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
		f := o.Finding
		if o.ToolID != "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111" ||
			!strings.HasPrefix(f.Description, "FasterXML jackson-databind before 2.7.9.3, 2.8.x before 2.8.11.1 and") ||
			!strings.HasPrefix(f.Remediation, "Upgrade com.fasterxml.jackson.core:jackson-databind to version 2.6.7.") ||
			f.Component.FixedVersion != "2.6.7.5, 2.8.11.1, 2.9.5" {
			t.Errorf("%s: %+v", file, o)
		}
		if diff := cmp.Diff([]int{184, 502}, f.CWEs); diff != "" {
			t.Errorf("%s CWEs (-want +got):\n%s", file, diff)
		}
		// DefectDojo marks it mitigated (VEX state not_affected); ctem
		// keeps the finding and states the analysis.
		if !strings.HasPrefix(o.Evidence, "analysis: not_affected (code_not_reachable") ||
			!strings.Contains(o.Evidence, "An optional explanation of why the application is not affected by the") {
			t.Errorf("%s: evidence %q", file, o.Evidence)
		}
	}
}

func hasVector(o report.Observation, v string) bool {
	for _, c := range o.Finding.CVSS {
		if c.Vector == v {
			return true
		}
	}
	return false
}

func TestAssets(t *testing.T) {
	cases := map[string]report.AssetRef{
		"dd_1_15_0.xml": {
			Kind: model.AssetImage, Name: "defectdojo/defectdojo-django:1.15.0",
			Identifiers: []model.Identifier{
				{Kind: model.IDImageDigest, Value: "sha256:b914ffbdf28309f2f5fc46caf1a78bbd90f1e2786dd0f01b69c8b00a07a9d078"},
				{Kind: model.IDImageRef, Value: "defectdojo/defectdojo-django:1.15.0"},
			},
			Attributes: map[string]string{"bom_serial": "urn:uuid:3efa8b76-36aa-4e36-9421-27222b896bba"},
		},
		"log4j.json": {
			Kind: model.AssetRepository, Name: "./configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2",
			Attributes: map[string]string{"bom_serial": "urn:uuid:b93c5d57-4484-44ba-830e-dae7ef559120"},
		},
		"jake.xml": {Kind: model.AssetRepository},
	}
	for file, want := range cases {
		rec := reporttest.ParseCorpus(t, cyclonedx.New(), "cyclonedx/"+file)
		if diff := cmp.Diff([]report.AssetRef{want}, rec.Assets); diff != "" {
			t.Errorf("%s assets (-want +got):\n%s", file, diff)
		}
		for _, o := range rec.Observations {
			if diff := cmp.Diff(want, o.Asset); diff != "" {
				t.Fatalf("%s observation asset (-want +got):\n%s", file, diff)
			}
		}
	}
}

// onlyReader hides Seek.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func parseBoth(t *testing.T, doc string) []*reporttest.Recorder {
	t.Helper()
	var out []*reporttest.Recorder
	for _, r := range []io.Reader{strings.NewReader(doc), onlyReader{strings.NewReader(doc)}} {
		rec := &reporttest.Recorder{}
		if err := cyclonedx.New().Parse(context.Background(), r, rec); err != nil {
			t.Fatalf("parse: %v", err)
		}
		out = append(out, rec)
	}
	return out
}

// TestOrder: JSON keys in any order; vulnerabilities before the components
// and metadata still resolve (second pass, or buffering without Seek).
func TestOrder(t *testing.T) {
	doc := `{"vulnerabilities":[{"id":"GHSA-aaaa-bbbb-cccc","references":[{"id":"CVE-2024-0001"}],
	    "ratings":[{"method":"CVSSv31","vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
	    "affects":[{"ref":"c1","versions":[{"version":"1.2.4","status":"unaffected"}]},{"ref":"pkg:npm/%40scope/other@2.0.0"},{"ref":"urn:cdx:x/1#nested"}]}],
	  "components":[{"bom-ref":"c1","name":"lib","version":"1.2.3","purl":"pkg:npm/lib@1.2.3",
	    "components":[{"bom-ref":"nested","name":"inner","version":"0.1"}]}],
	  "metadata":{"component":{"type":"container","name":"registry.example:5000/app","version":"v1",
	    "properties":[{"name":"aquasecurity:trivy:ImageID","value":"sha256:aaa"},{"name":"aquasecurity:trivy:RepoDigest","value":"registry.example:5000/app@sha256:bbb"}]}},
	  "serialNumber":"urn:uuid:1","bomFormat":"CycloneDX","specVersion":"1.5"}`
	for i, rec := range parseBoth(t, doc) {
		wantAsset := report.AssetRef{
			Kind: model.AssetImage, Name: "registry.example:5000/app:v1",
			Identifiers: []model.Identifier{
				{Kind: model.IDImageDigest, Value: "sha256:bbb"},
				{Kind: model.IDImageID, Value: "sha256:aaa"},
				{Kind: model.IDImageRef, Value: "registry.example:5000/app:v1"},
			},
			Attributes: map[string]string{"bom_serial": "urn:uuid:1"},
		}
		if diff := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); diff != "" {
			t.Errorf("reader %d assets (-want +got):\n%s", i, diff)
		}
		var comps []model.Component
		for _, o := range rec.Observations {
			comps = append(comps, o.Finding.Component)
			if o.Finding.VulnID != "CVE-2024-0001" || o.Finding.Severity != model.SevCritical || o.ToolID != "GHSA-aaaa-bbbb-cccc" {
				t.Errorf("reader %d: %+v", i, o)
			}
		}
		want := []model.Component{
			{Name: "lib", Version: "1.2.3", FixedVersion: "1.2.4", PURL: "pkg:npm/lib@1.2.3", Ecosystem: "npm"},
			{Name: "other", Version: "2.0.0", PURL: "pkg:npm/%40scope/other@2.0.0", Ecosystem: "npm"},
			{Name: "inner", Version: "0.1"},
		}
		if diff := cmp.Diff(want, comps); diff != "" {
			t.Errorf("reader %d components (-want +got):\n%s", i, diff)
		}
	}
}

func TestXMLOutOfOrder(t *testing.T) {
	doc := `<?xml version="1.0" encoding="ISO-8859-1"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:2">
  <metadata><component type="application"><group>org.example</group><name>caf` + "\xe9" + `</name><version>1.0</version>
    <externalReferences><reference type="vcs"><url>https://git.example/app.git</url></reference></externalReferences></component></metadata>
  <vulnerabilities><vulnerability><id>CVE-2024-0002</id>
    <ratings><rating><severity>unknown</severity></rating><rating><method>CVSSv2</method><score>5.0</score><vector>AV:N/AC:L/Au:N/C:N/I:N/A:P</vector></rating></ratings>
    <affects><target><ref>x</ref></target></affects></vulnerability>
    <vulnerability><id>CVE-2024-0003</id></vulnerability></vulnerabilities>
  <components><component bom-ref="x"><name>xlib</name><version>2</version></component></components>
</bom>`
	recs := parseBoth(t, doc)
	for _, rec := range recs {
		if len(rec.Observations) != 1 {
			t.Fatalf("observations = %d, want 1 (a vulnerability without affects is skipped)", len(rec.Observations))
		}
		o := rec.Observations[0]
		if o.Finding.Component.Name != "xlib" || o.Finding.Severity != model.SevMedium || len(o.Finding.CVSS) != 1 {
			t.Errorf("finding = %+v", o.Finding)
		}
		want := report.AssetRef{Kind: model.AssetRepository, Name: "https://git.example/app.git",
			Identifiers: []model.Identifier{{Kind: model.IDRepoURL, Value: "https://git.example/app.git"}},
			Attributes:  map[string]string{"bom_serial": "urn:uuid:2"}}
		if diff := cmp.Diff(want, o.Asset); diff != "" {
			t.Errorf("asset (-want +got):\n%s", diff)
		}
	}
}

func TestPackageAsset(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.4","metadata":{"component":{"type":"application","group":"com.acme","name":"shop","version":"3.1","purl":"pkg:maven/com.acme/shop@3.1"}},"components":[]}`
	for _, rec := range parseBoth(t, doc) {
		want := []report.AssetRef{{Kind: model.AssetPackage, Name: "com.acme/shop@3.1",
			Identifiers: []model.Identifier{{Kind: model.IDName, Value: "com.acme/shop@3.1"}},
			Attributes:  map[string]string{"purl": "pkg:maven/com.acme/shop@3.1"}}}
		if diff := cmp.Diff(want, rec.Assets); diff != "" {
			t.Errorf("assets (-want +got):\n%s", diff)
		}
	}
}

func TestSeverity(t *testing.T) {
	for ratings, want := range map[string]model.Severity{
		``: model.SevMedium,
		`{"severity":"low","method":"other"},{"severity":"critical","method":"CVSSv3"}`: model.SevCritical,
		`{"severity":"high","method":"CVSSv2"},{"severity":"low"}`:                      model.SevHigh,
		`{"severity":"unknown"},{"score":7.5,"method":"CVSSv31"}`:                       model.SevHigh,
		`{"method":"CVSSv31","vector":"CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:N"}`:  model.SevLow,
		`{"severity":"none"}`:  model.SevInfo,
		`{"severity":"info"}`:  model.SevInfo,
		`{"method":"other"}`:   model.SevMedium,
		`{"severity":"bogus"}`: model.SevInfo,
	} {
		doc := `{"bomFormat":"CycloneDX","components":[{"bom-ref":"a","name":"a"}],"metadata":{},"vulnerabilities":[{"id":"X-1","ratings":[` + ratings + `],"affects":[{"ref":"a"}]}]}`
		rec := parseBoth(t, doc)[0]
		if got := rec.Observations[0].Finding.Severity; got != want {
			t.Errorf("ratings %s: severity %q, want %q", ratings, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	ents, err := os.ReadDir(filepath.Join(dir, "cyclonedx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if s := cyclonedx.New().Detect(reporttest.Head(t, filepath.Join(dir, "cyclonedx", e.Name()))); s <= 0 {
			t.Errorf("%s not detected", e.Name())
		}
	}
	for _, other := range []string{
		"trivy/kubernetes.json", "sarif/appendix_k.sarif", "zap/0_zap_sample.xml", "nmap/nmap_multiple_port.xml",
		"anchore_grype/many_vulns.json", "dependency_check/single_vuln.xml", "osv_scanner/many_findings.json",
	} {
		path := filepath.Join(dir, other)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("missing %s: %v", other, err)
			continue
		}
		if s := cyclonedx.New().Detect(reporttest.Head(t, path)); s != 0 {
			t.Errorf("%s detected with %d", other, s)
		}
	}
	for _, s := range []string{"", "{}", `{"bomFormat":"SPDX"}`, "<bom/>", `<bom xmlns="urn:other"/>`, "<", "<?xml version='1.0'?><x/>"} {
		if got := cyclonedx.New().Detect([]byte(s)); got != 0 {
			t.Errorf("Detect(%q) = %d", s, got)
		}
	}
	if cyclonedx.New().Detect([]byte(`<?xml version="1.0"?><!-- c --><cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.5"/>`)) == 0 {
		t.Error("prefixed root not detected")
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	jsonDoc, err := os.ReadFile(filepath.Join(dir, "cyclonedx/log4j.json"))
	if err != nil {
		t.Fatal(err)
	}
	xmlDoc, err := os.ReadFile(filepath.Join(dir, "cyclonedx/dd_1_15_0.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":           "",
		"blank":           " \n ",
		"garbage":         "garbage",
		"json array":      "[]",
		"not a bom":       `{"runs":[]}`,
		"spdx":            `{"bomFormat":"SPDX"}`,
		"truncated json":  string(jsonDoc[:len(jsonDoc)/2]),
		"truncated xml":   string(xmlDoc[:len(xmlDoc)/2]),
		"wrong root":      `<report/>`,
		"wrong namespace": `<bom xmlns="urn:x"/>`,
		"trailing":        `<bom xmlns="http://cyclonedx.org/schema/bom/1.4"></bom><bom/>`,
		"bad vulns":       `{"bomFormat":"CycloneDX","vulnerabilities":{}}`,
		"entity":          `<!DOCTYPE bom [<!ENTITY e SYSTEM "file:///etc/passwd">]><bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component><name>&e;</name></component></components></bom>`,
		"encoding":        `<?xml version="1.0" encoding="EBCDIC"?><bom/>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(doc), onlyReader{strings.NewReader(doc)}} {
				err := cyclonedx.New().Parse(context.Background(), r, &reporttest.Recorder{})
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

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fh, err := os.Open(filepath.Join(reporttest.CorpusDir(t), "cyclonedx/dd_1_15_0.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := cyclonedx.New().Parse(ctx, fh, &reporttest.Recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

// TestNotABOMEmitsNothing: a document that never says it is a BOM is an
// error, and nothing is emitted before that is known.
func TestNotABOMEmitsNothing(t *testing.T) {
	doc := `{"metadata":{},"components":[{"bom-ref":"a","name":"a"}],"vulnerabilities":[{"id":"CVE-2020-0001","affects":[{"ref":"a"}]}]}`
	for _, r := range []io.Reader{strings.NewReader(doc), onlyReader{strings.NewReader(doc)}} {
		rec := &reporttest.Recorder{}
		err := cyclonedx.New().Parse(context.Background(), r, rec)
		var pe *report.ParseError
		if !errors.As(err, &pe) || len(rec.Observations) != 0 {
			t.Errorf("err = %v, observations = %d", err, len(rec.Observations))
		}
	}
}
