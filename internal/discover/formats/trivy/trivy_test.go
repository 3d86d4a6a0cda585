package trivy_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/trivy"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// countExceptions are files where ctem deliberately counts differently
// from DefectDojo's parser.
var countExceptions = map[string]struct {
	n      int
	reason string
}{
	// DefectDojo keeps the not_affected vulnerability as a mitigated
	// finding; the vendor's VEX statement says the package is not
	// affected, so ctem opens no finding for it.
	"trivy/all_statuses.json": {7, "not_affected status is not an exposure"},
}

func TestManifestCounts(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	rows := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "trivy" {
			continue
		}
		rows++
		t.Run(filepath.Base(row.File), func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, trivy.New(), filepath.Join(dir, row.File))
			if strings.Contains(row.Details, "expected to raise") {
				if err == nil {
					t.Fatalf("parse succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			want := row.Expected
			if ex, ok := countExceptions[row.File]; ok {
				want = ex.n
			}
			if want >= 0 && len(rec.Observations) != want {
				t.Errorf("got %d findings, want %d (manifest %d)", len(rec.Observations), want, row.Expected)
			}
			for i, o := range rec.Observations {
				if o.Asset.Kind == "" {
					t.Errorf("finding %d (%s) has no asset kind", i, o.ToolID)
				}
			}
		})
	}
	if rows == 0 {
		t.Fatal("no trivy rows in the manifest")
	}
}

// view is the part of an observation the content tests compare.
type view struct {
	ToolID   string
	Kind     model.FindingKind
	Title    string
	Severity model.Severity
	VulnID   string
	Aliases  []string
	CWEs     []int
	Vectors  []string
	RuleID   string
	Comp     model.Component
	Loc      model.Location
}

func project(o report.Observation) view {
	f := o.Finding
	v := view{
		ToolID: o.ToolID, Kind: f.Kind, Title: f.Title, Severity: f.Severity,
		VulnID: f.VulnID, Aliases: f.Aliases, CWEs: f.CWEs, RuleID: f.RuleID,
		Comp: f.Component, Loc: f.Location,
	}
	for _, c := range f.CVSS {
		v.Vectors = append(v.Vectors, c.Vector)
	}
	return v
}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  view
	}{
		{"trivy/scheme_2_many_vulns.json", 0, view{
			ToolID: "CVE-2020-15999", Kind: model.KindVulnerability,
			Title: "CVE-2020-15999 freetype 2.9.1-r2", Severity: model.SevMedium,
			VulnID: "CVE-2020-15999", CWEs: []int{787},
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "AV:N/AC:M/Au:N/C:N/I:N/A:P"},
			// DefectDojo's file_path is "app/libs/freetype-2.9.1-r2"; in an
			// image ctem roots it, as Grype writes image paths.
			Comp: model.Component{Name: "freetype", Version: "2.9.1-r2", FixedVersion: "2.9.1-r3", Ecosystem: "apk", Path: "/app/libs/freetype-2.9.1-r2"},
		}},
		{"trivy/scheme_2_many_vulns.json", 1, view{
			ToolID: "CVE-2020-28196", Kind: model.KindVulnerability,
			Title: "CVE-2020-28196 krb5-libs 1.15.5-r0", Severity: model.SevHigh,
			VulnID: "CVE-2020-28196", CWEs: []int{674},
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
			Comp:    model.Component{Name: "krb5-libs", Version: "1.15.5-r0", FixedVersion: "1.15.5-r1", Ecosystem: "apk", Path: "/app/libs/krb5-libs-1.15.5-r0"},
		}},
		{"trivy/kubernetes.json", 0, view{
			ToolID: "CVE-2020-27350", Kind: model.KindVulnerability,
			Title: "CVE-2020-27350 apt 1.8.2.1", Severity: model.SevMedium,
			VulnID: "CVE-2020-27350", CWEs: []int{190},
			Vectors: []string{"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:L", "AV:L/AC:L/Au:N/C:P/I:P/A:P"},
			Comp:    model.Component{Name: "apt", Version: "1.8.2.1", FixedVersion: "1.8.2.2", Ecosystem: "deb"},
		}},
		{"trivy/kubernetes.json", 10, view{
			ToolID: "KSV001", Kind: model.KindMisconfiguration,
			Title: "KSV001 - Process can elevate its own privileges", Severity: model.SevMedium,
			RuleID: "KSV001", Loc: model.Location{Resource: "Deployment/redis-follower"},
		}},
		{"trivy/misconfigurations_and_secrets.json", 2, view{
			ToolID: "DS002", Kind: model.KindMisconfiguration,
			Title: "DS002 - Image user should not be 'root'", Severity: model.SevHigh,
			RuleID: "DS002", Loc: model.Location{File: "Dockerfile"},
		}},
		{"trivy/misconfigurations_and_secrets.json", 3, view{
			ToolID: "github-pat", Kind: model.KindSecret,
			Title: "Secret detected in Dockerfile - GitHub Personal Access Token", Severity: model.SevCritical,
			RuleID: "github-pat", Loc: model.Location{File: "Dockerfile", Line: 24, EndLine: 24},
		}},
		{"trivy/cvss_severity_source.json", 0, view{
			ToolID: "CVE-2023-46218", Kind: model.KindVulnerability,
			Title: "CVE-2023-46218 curl 7.81.0-1ubuntu1.14", Severity: model.SevMedium, VulnID: "CVE-2023-46218",
			// SeveritySource is ubuntu, which has no vector: NVD's is next.
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"},
			Comp: model.Component{Name: "curl", Version: "7.81.0-1ubuntu1.14", FixedVersion: "7.81.0-1ubuntu1.15",
				PURL: "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.14?arch=amd64&distro=ubuntu-22.04", Ecosystem: "deb", Path: "requirements.txt"},
		}},
		{"trivy/cvss_severity_source.json", 1, view{
			ToolID: "CVE-2023-37920", Kind: model.KindVulnerability,
			Title: "CVE-2023-37920 certifi 2022.5.18.1", Severity: model.SevHigh, VulnID: "CVE-2023-37920", CWEs: []int{345},
			// SeveritySource ghsa: GHSA's 7.5 vector, not NVD's 9.8.
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"},
			Comp: model.Component{Name: "certifi", Version: "2022.5.18.1", FixedVersion: "2023.7.22",
				PURL: "pkg:pypi/certifi@2022.5.18.1", Ecosystem: "pypi", Path: "requirements.txt"},
		}},
		{"trivy/severity_prio.json", 0, view{
			ToolID: "CVE-2023-46218", Kind: model.KindVulnerability,
			// Trivy's own severity wins over the CVSS score (6.5).
			Title: "CVE-2023-46218 curl 7.81.0-1ubuntu1.14", Severity: model.SevLow, VulnID: "CVE-2023-46218",
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"},
			Comp: model.Component{Name: "curl", Version: "7.81.0-1ubuntu1.14", FixedVersion: "7.81.0-1ubuntu1.15",
				PURL: "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.14?arch=amd64&distro=ubuntu-22.04", Ecosystem: "deb", Path: "requirements.txt"},
		}},
		{"trivy/severity_prio.json", 1, view{
			ToolID: "CVE-2023-37920", Kind: model.KindVulnerability,
			Title: "CVE-2023-37920 certifi 2022.5.18.1", Severity: model.SevCritical, VulnID: "CVE-2023-37920", CWEs: []int{345},
			Vectors: []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"},
			Comp: model.Component{Name: "certifi", Version: "2022.5.18.1", FixedVersion: "2023.7.22",
				PURL: "pkg:pypi/certifi@2022.5.18.1", Ecosystem: "pypi", Path: "requirements.txt"},
		}},
		{"trivy/issue_14136.json", 0, view{
			ToolID: "AVD-AWS-0143", Kind: model.KindMisconfiguration,
			Title: "AVD-AWS-0143 - IAM policies should not be granted directly to users.", Severity: model.SevLow, RuleID: "AVD-AWS-0143",
			Loc: model.Location{File: "../../aws-credentials/main.tf", Line: 20, EndLine: 24, Resource: "module.aws_credentials"},
		}},
		{"trivy/license_scheme.json", 0, view{
			ToolID: "GPL-2.0", Kind: model.KindMisconfiguration,
			Title: "License GPL-2.0 (restricted) in alpine-baselayout", Severity: model.SevHigh, RuleID: "license:GPL-2.0",
			Comp: model.Component{Name: "alpine-baselayout"},
		}},
		{"trivy/license_scheme.json", 17, view{
			ToolID: "OpenSSL", Kind: model.KindMisconfiguration,
			Title: "License OpenSSL (notice) in /etc/ssl/misc/CA.pl", Severity: model.SevLow, RuleID: "license:OpenSSL",
			Loc: model.Location{File: "/etc/ssl/misc/CA.pl"},
		}},
	}
	for _, tc := range tests {
		rec := reporttest.ParseCorpus(t, trivy.New(), tc.file)
		if tc.index >= len(rec.Observations) {
			t.Errorf("%s: only %d findings, want index %d", tc.file, len(rec.Observations), tc.index)
			continue
		}
		if diff := cmp.Diff(tc.want, project(rec.Observations[tc.index])); diff != "" {
			t.Errorf("%s[%d] (-want +got):\n%s", tc.file, tc.index, diff)
		}
	}
}

func TestSingleDetails(t *testing.T) {
	for _, tc := range []struct {
		file string
		sev  model.Severity
		path string
	}{
		{"trivy/issue_9092.json", model.SevHigh, "requirements.txt"},
		{"trivy/issue_9263.json", model.SevHigh, "requirements.txt"},
		{"trivy/issue_9333.json", model.SevLow, ""},
		{"trivy/issue_14136.json", model.SevLow, ""},
	} {
		rec := reporttest.ParseCorpus(t, trivy.New(), tc.file)
		if len(rec.Observations) == 0 {
			t.Fatalf("%s: no findings", tc.file)
		}
		f := rec.Observations[0].Finding
		if f.Severity != tc.sev || f.Component.Path != tc.path {
			t.Errorf("%s[0]: severity %s path %q, want %s %q", tc.file, f.Severity, f.Component.Path, tc.sev, tc.path)
		}
	}
}

func TestStatuses(t *testing.T) {
	rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/all_statuses.json")
	byID := map[string]report.Observation{}
	for _, o := range rec.Observations {
		byID[o.ToolID] = o
	}
	if _, ok := byID["CVE-2019-18276"]; ok {
		t.Error("not_affected CVE-2019-18276 was reported")
	}
	o, ok := byID["CVE-2018-1000876"]
	if !ok || o.Finding.Title != "CVE-2018-1000876 binutils 2.31.1-16" {
		t.Errorf("CVE-2018-1000876: got %+v", o.Finding.Title)
	}
	if !strings.Contains(o.Evidence, "Status: fixed") {
		t.Errorf("evidence %q lacks the status", o.Evidence)
	}
}

func TestSecretsRedacted(t *testing.T) {
	rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/misconfigurations_and_secrets.json")
	var secrets []report.Observation
	for _, o := range rec.Observations {
		if o.Finding.Kind == model.KindSecret {
			secrets = append(secrets, o)
		}
	}
	if len(secrets) != 2 {
		t.Fatalf("got %d secrets, want 2", len(secrets))
	}
	for _, o := range secrets {
		// Trivy masks the value; the masked line anchors the finding.
		if o.Secret != "" || o.Anchor == "" || !strings.Contains(o.Evidence, "*****") {
			t.Errorf("secret %+v: want masked evidence, an anchor and no raw secret", o)
		}
	}
	if secrets[0].Anchor == secrets[1].Anchor {
		t.Error("two different secret lines share an anchor")
	}

	// An unmasked match (a Trivy fork, a hand-edited report) is the secret
	// itself: it goes to Secret and never into Evidence or Title.
	const raw = `{"SchemaVersion":2,"ArtifactName":"repo","ArtifactType":"filesystem","Results":[{"Target":"app.env","Class":"secret","Secrets":[{"RuleID":"aws-access-key-id","Category":"AWS","Severity":"CRITICAL","Title":"AWS Access Key ID","StartLine":3,"EndLine":3,"Match":"AWS_KEY=AKIAIOSFODNN7EXAMPLE"}]}]}`
	rec2 := parse(t, raw)
	if len(rec2.Observations) != 1 {
		t.Fatalf("got %d findings, want 1", len(rec2.Observations))
	}
	o := rec2.Observations[0]
	if o.Secret != "AWS_KEY=AKIAIOSFODNN7EXAMPLE" {
		t.Errorf("Secret = %q", o.Secret)
	}
	if strings.Contains(o.Evidence, "AKIA") || strings.Contains(o.Finding.Title, "AKIA") || strings.Contains(o.Finding.Description, "AKIA") {
		t.Errorf("secret leaked: evidence %q title %q", o.Evidence, o.Finding.Title)
	}
}

func parse(t *testing.T, doc string) *reporttest.Recorder {
	t.Helper()
	rec := &reporttest.Recorder{}
	if err := trivy.New().Parse(context.Background(), strings.NewReader(doc), rec); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return rec
}

// sameImage is one image as both Trivy and Grype report it; the Grype
// parser's test expects the same identifiers for its report of it.
const sameImage = `{
  "SchemaVersion": 2,
  "ArtifactName": "alpine:3.11",
  "ArtifactType": "container_image",
  "Metadata": {
    "OS": {"Family": "alpine", "Name": "3.11.13"},
    "ImageID": "sha256:a787cb9865032e5b5a407ecdf34b57a23a4a076aaa043d71742ddb6726ec9229",
    "RepoTags": ["alpine:3.11"],
    "RepoDigests": ["alpine@sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d"]
  },
  "Results": [{"Target": "alpine:3.11 (alpine 3.11.13)", "Class": "os-pkgs", "Type": "alpine",
    "Vulnerabilities": [{"VulnerabilityID": "CVE-2021-36159", "PkgName": "apk-tools", "PkgPath": "lib/apk/db/installed",
      "InstalledVersion": "2.10.6-r0", "FixedVersion": "2.10.7-r0", "Severity": "CRITICAL"}]}]
}`

func TestImageIdentity(t *testing.T) {
	rec := parse(t, sameImage)
	wantIDs := []model.Identifier{
		{Kind: model.IDImageDigest, Value: "sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d"},
		{Kind: model.IDImageID, Value: "sha256:a787cb9865032e5b5a407ecdf34b57a23a4a076aaa043d71742ddb6726ec9229"},
		{Kind: model.IDImageRef, Value: "alpine:3.11"},
	}
	if len(rec.Assets) != 1 || len(rec.Observations) != 1 {
		t.Fatalf("got %d assets %d findings, want 1 and 1", len(rec.Assets), len(rec.Observations))
	}
	want := report.AssetRef{Kind: model.AssetImage, Name: "alpine:3.11", Identifiers: wantIDs, Attributes: map[string]string{"os": "alpine 3.11.13"}}
	if diff := cmp.Diff(want, rec.Assets[0]); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, rec.Observations[0].Asset); diff != "" {
		t.Errorf("finding asset (-want +got):\n%s", diff)
	}
	if p := rec.Observations[0].Finding.Component.Path; p != "/lib/apk/db/installed" {
		t.Errorf("path %q, want it rooted like Grype's", p)
	}
}

func TestAssets(t *testing.T) {
	t.Run("license image", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/license_scheme.json")
		want := []report.AssetRef{{
			Kind: model.AssetImage, Name: "alpine:3.11",
			Identifiers: []model.Identifier{
				{Kind: model.IDImageDigest, Value: "sha256:bcae378eacedab83da66079d9366c8f5df542d7ed9ab23bf487e3e1a8481375d"},
				{Kind: model.IDImageID, Value: "sha256:a787cb9865032e5b5a407ecdf34b57a23a4a076aaa043d71742ddb6726ec9229"},
				{Kind: model.IDImageRef, Value: "alpine:3.11"},
			},
			Attributes: map[string]string{"os": "alpine 3.11.13", "arch": "amd64"},
		}}
		if diff := cmp.Diff(want, rec.Assets); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("image without name", func(t *testing.T) {
		// ArtifactName is empty: the OS target names the image.
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/issue_9333.json")
		a := rec.Assets[0]
		if a.Kind != model.AssetImage || a.Name != "noppaknopsta/example-app:main-159" ||
			!hasID(a, model.IDImageID, "sha256:22ae3921bdaac434bb4cb92dbbc209e46b1f3f70e9fa0b5fbbb43ce7d452c72d") {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("filesystem", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/issue_14136.json")
		want := []report.AssetRef{{Kind: model.AssetRepository, Name: "tofu/clusters/sandbox",
			Identifiers: []model.Identifier{{Kind: model.IDName, Value: "tofu/clusters/sandbox"}}}}
		if diff := cmp.Diff(want, rec.Assets); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("no findings", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/scheme_2_no_vuln.json")
		if len(rec.Assets) != 1 || rec.Assets[0].Name != "trivy-unittest:latest" || rec.Assets[0].Kind != model.AssetImage {
			t.Errorf("got %+v", rec.Assets)
		}
	})
	t.Run("kubernetes", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/kubernetes.json")
		const cluster = "arn:aws:eks:us-east-1:576036489467:cluster/monitoring-test-cluster"
		var names []string
		for _, a := range rec.Assets {
			names = append(names, string(a.Kind)+" "+a.Name)
		}
		want := []string{
			"image gcr.io/google_samples/gb-redis-follower:v2",
			"image docker.io/redis:6.0.5",
			"cloud_resource default/Deployment/redis-follower",
			"cloud_resource default/Deployment/redis-leader",
			"cloud_resource default/Service/redis-follower",
			"cloud_resource default/Service/redis-leader",
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("assets (-want +got):\n%s", diff)
		}
		wl := rec.Observations[10].Asset
		if !hasID(wl, model.IDCloudID, cluster+"/default/Deployment/redis-follower") || wl.Attributes["namespace"] != "default" {
			t.Errorf("workload asset %+v", wl)
		}
		img := rec.Observations[5].Asset
		if img.Kind != model.AssetImage || !hasID(img, model.IDImageRef, "docker.io/redis:6.0.5") {
			t.Errorf("image asset %+v", img)
		}
	})
	t.Run("kubernetes resources with metadata", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/issue_10991.json")
		// Only misconfiguration results: 13 workloads, no image covered.
		if len(rec.Assets) != 13 {
			t.Errorf("got %d assets, want 13", len(rec.Assets))
		}
		for _, a := range rec.Assets {
			if a.Kind != model.AssetCloud || !hasID(a, model.IDName, a.Name) {
				t.Errorf("asset %+v: want a cloud resource named by its path (no cluster name)", a)
			}
		}
	})
	t.Run("kubernetes image from metadata", func(t *testing.T) {
		const doc = `{"ClusterName":"prod","Resources":[{"Namespace":"web","Kind":"Deployment","Name":"api",
		  "Metadata":[{"ImageID":"sha256:1111","RepoTags":["nginx:1.25"],"RepoDigests":["nginx@sha256:2222"]}],
		  "Results":[{"Target":"nginx:1.25 (debian 12.1)","Class":"os-pkgs","Type":"debian",
		    "Vulnerabilities":[{"VulnerabilityID":"CVE-2023-1","PkgName":"libc6","InstalledVersion":"2.36","Severity":"HIGH"}]},
		   {"Target":"Deployment/api","Class":"config","Type":"kubernetes",
		    "Misconfigurations":[{"ID":"KSV012","Title":"Runs as root user","Severity":"MEDIUM","Status":"FAIL","Message":"Container 'api' should set runAsNonRoot"},
		                         {"ID":"KSV013","Title":"ok","Severity":"LOW","Status":"PASS"}]}]}]}`
		rec := parse(t, doc)
		if len(rec.Observations) != 2 {
			t.Fatalf("got %d findings, want 2 (a PASS is no finding)", len(rec.Observations))
		}
		img := rec.Observations[0].Asset
		wantImg := []model.Identifier{
			{Kind: model.IDImageDigest, Value: "sha256:2222"},
			{Kind: model.IDImageID, Value: "sha256:1111"},
			{Kind: model.IDImageRef, Value: "nginx:1.25"},
		}
		if diff := cmp.Diff(wantImg, img.Identifiers); diff != "" {
			t.Errorf("image identifiers (-want +got):\n%s", diff)
		}
		wl := rec.Observations[1].Asset
		if wl.Kind != model.AssetCloud || !hasID(wl, model.IDCloudID, "prod/web/Deployment/api") {
			t.Errorf("workload %+v", wl)
		}
	})
	t.Run("legacy", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, trivy.New(), "trivy/legacy_trivy_mix.json")
		if len(rec.Assets) != 1 || rec.Assets[0].Kind != model.AssetImage || rec.Assets[0].Name != "trivy-ci-test" {
			t.Errorf("got %+v", rec.Assets)
		}
		for _, o := range rec.Observations {
			if o.Finding.VulnID == "" || o.Finding.Component.Name == "" {
				t.Errorf("finding %+v lacks an id or package", o.Finding)
			}
		}
	})
}

func hasID(a report.AssetRef, kind model.IdentifierKind, v string) bool {
	for _, id := range a.Identifiers {
		if id.Kind == kind && id.Value == v {
			return true
		}
	}
	return false
}

func TestOutOfOrderKeys(t *testing.T) {
	// Results before Metadata and ArtifactName: findings wait for the
	// asset instead of going out half-named.
	const doc = `{"Results":[{"Class":"os-pkgs","Vulnerabilities":[{"VulnerabilityID":"CVE-2021-36159","PkgName":"apk-tools","InstalledVersion":"2.10.6-r0","Severity":"CRITICAL"}],"Target":"alpine:3.11 (alpine 3.11.13)","Type":"alpine"}],
	  "Metadata":{"ImageID":"sha256:a787"},"ArtifactType":"container_image","ArtifactName":"alpine:3.11","SchemaVersion":2}`
	rec := parse(t, doc)
	if len(rec.Observations) != 1 {
		t.Fatalf("got %d findings", len(rec.Observations))
	}
	a := rec.Observations[0].Asset
	if !hasID(a, model.IDImageID, "sha256:a787") || !hasID(a, model.IDImageRef, "alpine:3.11") || a.Attributes["os"] != "alpine 3.11.13" {
		t.Errorf("asset %+v", a)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := trivy.New()
	own, _ := filepath.Glob(filepath.Join(dir, "trivy", "*"))
	if len(own) == 0 {
		t.Fatal("no trivy corpus files")
	}
	for _, p := range own {
		if f.Detect(reporttest.Head(t, p)) <= 0 {
			t.Errorf("%s not detected", filepath.Base(p))
		}
	}
	// No other format's file is claimed, except a bare "null": legacy Trivy
	// and Gitleaks both write it for "no findings", and Trivy claims it
	// only weakly.
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasPrefix(p, filepath.Join(dir, "trivy")+string(filepath.Separator)) {
			return err
		}
		head := reporttest.Head(t, p)
		score := f.Detect(head)
		if bytes.Equal(bytes.TrimSpace(head), []byte("null")) {
			if score > 10 {
				t.Errorf("%s: bare null scored %d", p, score)
			}
			return nil
		}
		if score != 0 {
			t.Errorf("%s: detected as trivy (%d)", p, score)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, head := range []string{"", "{}", "[]", `{"SchemaVersion":"2018-10-08","Results":[]}`, `{"matches":[]}`, "<xml/>"} {
		if s := f.Detect([]byte(head)); s != 0 {
			t.Errorf("Detect(%q) = %d", head, s)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"blank":          "  \n\t",
		"garbage":        "this is not json",
		"number":         "42",
		"empty object":   "{}",
		"unknown object": `{"foo": 1}`,
		"open object":    `{"SchemaVersion": 2, "Results": [`,
		"bad results":    `{"SchemaVersion": 2, "Results": 5}`,
		"bad vulnerability": `{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "filesystem",
			"Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": 7}]}]}`,
		"bad metadata":  `{"ClusterName": "c", "Resources": [{"Kind": "Pod", "Name": "p", "Metadata": [1]}]}`,
		"trailing data": `{"SchemaVersion": 2, "ArtifactName": "x"} {}`,
		"legacy item":   `[{"Target": "x", "Vulnerabilities": {}}]`,
		"nul":           "nul",
	}
	dir := reporttest.CorpusDir(t)
	whole, err := os.ReadFile(filepath.Join(dir, "trivy", "kubernetes.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases["truncated"] = string(whole[:len(whole)/2])
	cases["truncated with BOM"] = "\xef\xbb\xbf " + string(whole[:len(whole)/3])
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			err := trivy.New().Parse(context.Background(), strings.NewReader(doc), &reporttest.Recorder{})
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
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	b.WriteString(`{"SchemaVersion":2,"ArtifactName":"x","ArtifactType":"filesystem","Results":[{"Target":"a","Type":"npm","Vulnerabilities":[`)
	for i := 0; i < 600; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"VulnerabilityID":"CVE-2020-0001","PkgName":"p","Severity":"LOW"}`)
	}
	b.WriteString(`]}]}`)
	err := trivy.New().Parse(ctx, strings.NewReader(b.String()), &reporttest.Recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestMeta(t *testing.T) {
	f := trivy.New()
	if f.Name() != "trivy" || f.Version() != 1 || f.Description() == "" {
		t.Errorf("got %q %d %q", f.Name(), f.Version(), f.Description())
	}
}
