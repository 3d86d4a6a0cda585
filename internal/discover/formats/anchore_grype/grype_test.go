package anchoregrype_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	anchoregrype "github.com/ctemhq/ctem/internal/discover/formats/anchore_grype"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestManifestCounts(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	rows := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "anchore_grype" {
			continue
		}
		// same_cve_different_paths.json has two rows: DefectDojo's default
		// mode (1, one finding per vulnerability and package, which is how
		// ctem counts) and its opt-in "detailed" mode (2, one per path).
		if strings.Contains(row.Details, "set_mode('detailed')") {
			continue
		}
		rows++
		t.Run(filepath.Base(row.File), func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, anchoregrype.New(), filepath.Join(dir, row.File))
			if strings.Contains(row.Details, "expected to raise") {
				if err == nil {
					t.Fatalf("parse succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if row.Expected >= 0 && len(rec.Observations) != row.Expected {
				t.Errorf("got %d findings, want %d", len(rec.Observations), row.Expected)
			}
			if len(rec.Assets) != 1 {
				t.Errorf("got %d assets, want 1", len(rec.Assets))
			}
		})
	}
	if rows == 0 {
		t.Fatal("no anchore_grype rows in the manifest")
	}
}

type view struct {
	ToolID   string
	Title    string
	Severity model.Severity
	VulnID   string
	Aliases  []string
	Vectors  []string
	Comp     model.Component
}

func project(o report.Observation) view {
	f := o.Finding
	v := view{ToolID: o.ToolID, Title: f.Title, Severity: f.Severity, VulnID: f.VulnID, Aliases: f.Aliases, Comp: f.Component}
	for _, c := range f.CVSS {
		v.Vectors = append(v.Vectors, c.Vector)
	}
	return v
}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int    // used when toolID is empty
		tool  string // look the finding up by ToolID
		want  view
	}{
		{file: "anchore_grype/check_all_fields.json", index: 0, want: view{
			ToolID: "CVE-2004-0971", Title: "CVE-2004-0971 in libgssapi-krb5-2:1.17-3+deb10u3",
			// Negligible is info; the related record repeats the same id.
			Severity: model.SevInfo, VulnID: "CVE-2004-0971",
			Vectors: []string{"AV:L/AC:L/Au:N/C:N/I:P/A:N"},
			Comp: model.Component{Name: "libgssapi-krb5-2", Version: "1.17-3+deb10u3",
				PURL: "pkg:deb/debian/libgssapi-krb5-2@1.17-3+deb10u3?arch=amd64", Ecosystem: "deb", Path: "/var/lib/dpkg/status"},
		}},
		{file: "anchore_grype/check_all_fields.json", index: 1, want: view{
			ToolID: "CVE-2021-32626", Title: "CVE-2021-32626 in redis:4.0.2", Severity: model.SevHigh, VulnID: "CVE-2021-32626",
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "AV:N/AC:L/Au:S/C:P/I:P/A:P"},
			Comp: model.Component{Name: "redis", Version: "4.0.2", FixedVersion: "fix_1, fix_2", PURL: "pkg:pypi/redis@4.0.2", Ecosystem: "pypi",
				Path: "/usr/local/lib/python3.8/site-packages/redis-4.0.2.dist-info/METADATA"},
		}},
		{file: "anchore_grype/check_all_fields.json", index: 2, want: view{
			ToolID: "CVE-2021-33574", Title: "CVE-2021-33574 in libc-bin:2.28-10", Severity: model.SevCritical, VulnID: "CVE-2021-33574",
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
			Comp:    model.Component{Name: "libc-bin", Version: "2.28-10", PURL: "pkg:deb/debian/libc-bin@2.28-10?arch=amd64", Ecosystem: "deb", Path: "/var/lib/dpkg/status"},
		}},
		{file: "anchore_grype/check_all_fields.json", index: 4, want: view{
			// A GHSA match with a related CVE canonicalizes to the CVE.
			ToolID: "GHSA-v6rh-hp5x-86rv", Title: "GHSA-v6rh-hp5x-86rv in Django:3.2.9", Severity: model.SevHigh,
			VulnID: "CVE-2021-44420", Aliases: []string{"GHSA-v6rh-hp5x-86rv"},
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
			Comp: model.Component{Name: "Django", Version: "3.2.9", FixedVersion: "3.2.10", PURL: "pkg:pypi/Django@3.2.9", Ecosystem: "pypi",
				Path: "/usr/local/lib/python3.8/site-packages/Django-3.2.9.dist-info/METADATA"},
		}},
		{file: "anchore_grype/many_vulns.json", tool: "CVE-2011-3389", want: view{
			ToolID: "CVE-2011-3389", Title: "CVE-2011-3389 in libgnutls-openssl27:3.6.7-4+deb10u5", Severity: model.SevMedium, VulnID: "CVE-2011-3389",
			Vectors: []string{"AV:N/AC:M/Au:N/C:P/I:N/A:N"},
			Comp: model.Component{Name: "libgnutls-openssl27", Version: "3.6.7-4+deb10u5",
				PURL: "pkg:deb/debian/libgnutls-openssl27@3.6.7-4+deb10u5?arch=amd64", Ecosystem: "deb", Path: "/var/lib/dpkg/status"},
		}},
		{file: "anchore_grype/many_vulns4.json", tool: "CVE-1999-1338", want: view{
			ToolID: "CVE-1999-1338", Title: "CVE-1999-1338 in delegate:3.2.0", Severity: model.SevMedium, VulnID: "CVE-1999-1338",
			Vectors: []string{"AV:N/AC:L/Au:N/C:N/I:P/A:N"},
			Comp:    model.Component{Name: "delegate", Version: "3.2.0", PURL: "pkg:npm/delegate@3.2.0", Ecosystem: "npm", Path: "components/yarn.lock"},
		}},
		{file: "anchore_grype/anchore_grype_epss_problem.json", index: 0, want: view{
			ToolID: "GHSA-4374-p667-p6c8", Title: "GHSA-4374-p667-p6c8 in golang.org/x/net:v0.9.0", Severity: model.SevHigh,
			VulnID: "CVE-2023-39325", Aliases: []string{"GHSA-4374-p667-p6c8"},
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
			Comp: model.Component{Name: "golang.org/x/net", Version: "v0.9.0", FixedVersion: "0.17.0",
				PURL: "pkg:golang/golang.org/x/net@v0.9.0", Ecosystem: "golang", Path: "/samples/go.mod"},
		}},
	}
	for _, tc := range tests {
		rec := reporttest.ParseCorpus(t, anchoregrype.New(), tc.file)
		var got *report.Observation
		for i := range rec.Observations {
			if tc.tool != "" && rec.Observations[i].ToolID == tc.tool || tc.tool == "" && i == tc.index {
				got = &rec.Observations[i]
				break
			}
		}
		if got == nil {
			t.Errorf("%s: no finding %q / %d", tc.file, tc.tool, tc.index)
			continue
		}
		if diff := cmp.Diff(tc.want, project(*got)); diff != "" {
			t.Errorf("%s %s%d (-want +got):\n%s", tc.file, tc.tool, tc.index, diff)
		}
	}
}

func TestManifestDetails(t *testing.T) {
	rec := reporttest.ParseCorpus(t, anchoregrype.New(), "anchore_grype/many_vulns2.json")
	found := false
	for _, o := range rec.Observations {
		if o.Finding.VulnID == "" {
			t.Errorf("%s: no vulnerability id", o.Finding.Title)
		}
		if o.ToolID == "CVE-2019-9192" && o.Finding.Component.Name == "libc6-dev" {
			found = true
			if o.Finding.Component.Version != "2.28-10" || o.Finding.Severity != model.SevInfo {
				t.Errorf("CVE-2019-9192: %+v", o.Finding)
			}
		}
	}
	if !found {
		t.Error("CVE-2019-9192 in libc6-dev not found")
	}

	rec = reporttest.ParseCorpus(t, anchoregrype.New(), "anchore_grype/many_vulns4.json")
	for _, o := range rec.Observations {
		if o.ToolID == "CVE-1999-1338" && !strings.Contains(o.Evidence, "javascript-matcher") {
			t.Errorf("evidence %q lacks the matcher", o.Evidence)
		}
	}

	// The NUL byte in a package version is dropped (DefectDojo does too).
	rec = reporttest.ParseCorpus(t, anchoregrype.New(), "anchore_grype/issue_9942.json")
	if v := rec.Observations[0].Finding.Component.Version; v != "17.0.10+7-J-ms8m" {
		t.Errorf("version %q", v)
	}
}

func TestSamePathsMerged(t *testing.T) {
	rec := reporttest.ParseCorpus(t, anchoregrype.New(), "anchore_grype/same_cve_different_paths.json")
	if len(rec.Observations) != 1 {
		t.Fatalf("got %d findings, want 1", len(rec.Observations))
	}
	o := rec.Observations[0]
	if o.Finding.Component.Path != "/usr/lib/x86_64-linux-gnu/libc.so.6" {
		t.Errorf("path %q", o.Finding.Component.Path)
	}
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if !strings.Contains(o.Evidence, p) {
			t.Errorf("evidence %q lacks %s", o.Evidence, p)
		}
	}
}

// sameImage is the image the Trivy parser's test reports as
// alpine:3.11; both parsers must name it with the same identifiers.
const sameImage = `{
 "matches": [{
   "vulnerability": {"id": "CVE-2021-36159", "severity": "Critical", "fix": {"versions": ["2.10.7-r0"], "state": "fixed"}},
   "relatedVulnerabilities": [],
   "matchDetails": [{"matcher": "apk-matcher"}],
   "artifact": {"name": "apk-tools", "version": "2.10.6-r0", "type": "apk", "locations": [{"path": "/lib/apk/db/installed"}],
     "purl": "pkg:apk/alpine/apk-tools@2.10.6-r0?arch=x86_64&distro=alpine-3.11.13"}
 }],
 "source": {"type": "image", "target": {
   "userInput": "alpine:3.11",
   "imageID": "sha256:a787cb9865032e5b5a407ecdf34b57a23a4a076aaa043d71742ddb6726ec9229",
   "tags": ["alpine:3.11"],
   "repoDigests": ["alpine@sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d"]}},
 "distro": {"name": "alpine", "version": "3.11.13"},
 "descriptor": {"name": "grype", "version": "0.74.0"}
}`

func TestImageIdentity(t *testing.T) {
	rec := parse(t, sameImage)
	want := report.AssetRef{
		Kind: model.AssetImage, Name: "alpine:3.11",
		Identifiers: []model.Identifier{
			{Kind: model.IDImageDigest, Value: "sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d"},
			{Kind: model.IDImageID, Value: "sha256:a787cb9865032e5b5a407ecdf34b57a23a4a076aaa043d71742ddb6726ec9229"},
			{Kind: model.IDImageRef, Value: "alpine:3.11"},
		},
		Attributes: map[string]string{"os": "alpine 3.11.13"},
	}
	if diff := cmp.Diff([]report.AssetRef{want}, rec.Assets); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
	if len(rec.Observations) != 1 {
		t.Fatalf("got %d findings", len(rec.Observations))
	}
	if diff := cmp.Diff(want, rec.Observations[0].Asset); diff != "" {
		t.Errorf("finding asset (-want +got):\n%s", diff)
	}
	c := rec.Observations[0].Finding.Component
	if c.Ecosystem != "apk" || c.Path != "/lib/apk/db/installed" || c.FixedVersion != "2.10.7-r0" {
		t.Errorf("component %+v", c)
	}
}

func TestAssets(t *testing.T) {
	for _, tc := range []struct {
		file string
		want report.AssetRef
	}{
		{"anchore_grype/many_vulns_with_epss_values.json", report.AssetRef{
			Kind: model.AssetImage, Name: "busybox:1.32.1",
			Identifiers: []model.Identifier{
				{Kind: model.IDImageDigest, Value: "sha256:ae39a6f5c07297d7ab64dbd4f82c77c874cc6a94cea29fdec309d0992574b4f7"},
				{Kind: model.IDImageDigest, Value: "sha256:123b1fd3a44eaaf7322e08e9175d9ca57d49ebf2955d4fa1f5607e99dc31bcbb"},
				{Kind: model.IDImageID, Value: "sha256:388056c9a6838deea3792e8f00705b35b439cf57b3c9c2634fb4e95cfc896de6"},
				{Kind: model.IDImageRef, Value: "busybox:1.32.1"},
			},
			Attributes: map[string]string{"arch": "amd64", "os": "busybox 1.32.1"},
		}},
		// A directory scan of ".": nothing names it; the pipeline will.
		{"anchore_grype/many_vulns4.json", report.AssetRef{Kind: model.AssetRepository}},
		// No source at all.
		{"anchore_grype/anchore_grype_epss_problem.json", report.AssetRef{Kind: model.AssetRepository}},
		// A clean image is still covered.
		{"anchore_grype/no_vuln.json", report.AssetRef{
			Kind: model.AssetImage, Name: "busybox:latest",
			Identifiers: []model.Identifier{
				{Kind: model.IDImageDigest, Value: "sha256:6bea45f4e050ffdbb3a0f57a6c6f16318314a482f31442c4461a72a3ee2f3ee6"},
				{Kind: model.IDImageID, Value: "sha256:22667f53682a2920948d19c7133ab1c9c3f745805c14125859d20cede07f11f9"},
				{Kind: model.IDImageRef, Value: "busybox:latest"},
			},
			Attributes: map[string]string{"os": "busybox 1.32.1"},
		}},
	} {
		rec := reporttest.ParseCorpus(t, anchoregrype.New(), tc.file)
		if diff := cmp.Diff([]report.AssetRef{tc.want}, rec.Assets); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, diff)
		}
	}
}

func parse(t *testing.T, doc string) *reporttest.Recorder {
	t.Helper()
	rec := &reporttest.Recorder{}
	if err := anchoregrype.New().Parse(context.Background(), strings.NewReader(doc), rec); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return rec
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := anchoregrype.New()
	own, _ := filepath.Glob(filepath.Join(dir, "anchore_grype", "*"))
	if len(own) == 0 {
		t.Fatal("no corpus files")
	}
	for _, p := range own {
		if f.Detect(reporttest.Head(t, p)) <= 0 {
			t.Errorf("%s not detected", filepath.Base(p))
		}
	}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasPrefix(p, filepath.Join(dir, "anchore_grype")+string(filepath.Separator)) {
			return err
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: detected as grype (%d)", p, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, head := range []string{"", "null", "{}", "[]", `{"matches": 3}`, `{"results": []}`, `{"SchemaVersion": 2, "Results": []}`} {
		if s := f.Detect([]byte(head)); s != 0 {
			t.Errorf("Detect(%q) = %d", head, s)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"empty":         "",
		"blank":         " \n",
		"garbage":       "grype says hi",
		"array":         "[]",
		"null":          "null",
		"empty object":  "{}",
		"no matches":    `{"source": {"type": "image", "target": {}}}`,
		"bad matches":   `{"matches": {}}`,
		"bad match":     `{"matches": [{"vulnerability": {"id": 5}}]}`,
		"bad source":    `{"matches": [], "source": {"type": "image", "target": {"tags": "x"}}}`,
		"open":          `{"matches": [{"vulnerability": {"id": "CVE-2020-1"`,
		"trailing data": `{"matches": []} x`,
	}
	dir := reporttest.CorpusDir(t)
	whole, err := os.ReadFile(filepath.Join(dir, "anchore_grype", "check_all_fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases["truncated"] = string(whole[:len(whole)/2])
	cases["truncated with BOM"] = "\xef\xbb\xbf\n" + string(whole[:len(whole)/3])
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			err := anchoregrype.New().Parse(context.Background(), strings.NewReader(doc), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.Offset < 0 && pe.Line == 0 {
				t.Errorf("error %v has no position", err)
			}
			if pe.Offset > int64(len(doc)) {
				t.Errorf("offset %d beyond input length %d", pe.Offset, len(doc))
			}
		})
	}
}

func TestCancel(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	fh, err := os.Open(filepath.Join(dir, "anchore_grype", "many_vulns.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := anchoregrype.New().Parse(ctx, fh, &reporttest.Recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestMeta(t *testing.T) {
	f := anchoregrype.New()
	if f.Name() != "anchore_grype" || f.Version() != 1 || f.Description() == "" {
		t.Errorf("got %q %d %q", f.Name(), f.Version(), f.Description())
	}
}
