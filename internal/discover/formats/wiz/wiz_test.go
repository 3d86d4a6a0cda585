package wiz_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/wiz"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ctemCounts lists files where ctem's count differs from the manifest: a
// RESOLVED issue is one Wiz says is fixed. DefectDojo imports it as a
// mitigated finding; ctem leaves it out and reports its resource as
// covered, so that the lifecycle closes the finding.
var ctemCounts = map[string]int{
	"wiz/multiple_findings.csv": 97, // 98 rows, one RESOLVED
	"wiz/resolved_findings.csv": 0,  // 3 rows, all RESOLVED
}

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "wiz" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, wiz.New(), row.File)
			want, ok := ctemCounts[row.File]
			if !ok {
				want = row.Expected
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d", got, want)
			}
			if row.Expected > 0 && len(rec.Assets) == 0 {
				t.Error("no asset reported")
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for wiz")
	}
}

func TestIssues(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, wiz.New(), "wiz/multiple_findings.csv")
	o := rec.Observations[0]
	if o.Finding.Title != "AKS role/cluster role assigned permissions that contain wildcards" || o.Finding.Severity != model.SevInfo ||
		o.ToolSeverity != "INFORMATIONAL" || o.Finding.RuleID != "5bd69891-b61f-49c8-85a5-c8f90c3eff80" || o.ToolID != o.Finding.RuleID {
		t.Errorf("finding[0] = %+v", o)
	}
	// Issues on principals are identity weaknesses.
	if o.Finding.Kind != model.KindIdentityWeakness {
		t.Errorf("finding[0] kind = %s", o.Finding.Kind)
	}
	want := report.AssetRef{
		Kind:        model.AssetCloud,
		Name:        "aks-support",
		Identifiers: []model.Identifier{{Kind: model.IDCloudID, Value: "k8s/user/42cfa6ccd681025c90a26bea65c39fa80ca8837a0bd3b5c7889165217fa4931e/aks-support"}},
		Attributes: map[string]string{
			"resource_type": "User", "platform": "Kubernetes",
			"account": "fee3535b-9616-486f-a476-6a500a08a02b", "account_name": "Wiz - Demo-Scenarios",
		},
	}
	if diff := cmp.Diff(want, o.Asset); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
	if !strings.Contains(o.Finding.Remediation, "least privilege") || !strings.Contains(o.Finding.Description, "wildcards") {
		t.Errorf("remediation/description missing")
	}
	o = rec.Observations[1]
	if o.Finding.Title != "Unusual activity by a principal from previously unseen country" || o.Finding.Severity != model.SevHigh {
		t.Errorf("finding[1] = %q %s", o.Finding.Title, o.Finding.Severity)
	}
	hist := map[model.Severity]int{}
	for _, o := range rec.Observations {
		hist[o.Finding.Severity]++
	}
	// 98 rows: LOW 43, INFORMATIONAL 30, MEDIUM 13, HIGH 6, CRITICAL 6,
	// less the RESOLVED one.
	total := 0
	for _, n := range hist {
		total += n
	}
	if total != 97 || hist[model.SevCritical] != 6 {
		t.Errorf("severities = %v", hist)
	}
	var vm bool
	for _, o := range rec.Observations {
		if o.Asset.Attributes["resource_type"] == "Microsoft.Compute/virtualMachines" {
			vm = true
			if o.Finding.Kind != model.KindMisconfiguration || !strings.HasPrefix(o.Finding.Location.Resource, "/subscriptions/") {
				t.Errorf("VM issue = %+v", o.Finding)
			}
		}
	}
	if !vm {
		t.Error("no virtual machine issue")
	}
}

func TestResolved(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, wiz.New(), "wiz/resolved_findings.csv")
	if len(rec.Observations) != 0 {
		t.Errorf("observations = %d, want 0", len(rec.Observations))
	}
	// Their resources are covered: the lifecycle closes the findings.
	if len(rec.Assets) != 2 {
		t.Errorf("assets = %d, want 2", len(rec.Assets))
	}
}

func TestVulnerabilities(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, wiz.New(), "wiz/sca_format.csv")
	type row struct {
		Title, VulnID, Component, Version string
		Severity                          model.Severity
	}
	var got []row
	for _, o := range rec.Observations {
		got = append(got, row{o.Finding.Title, o.Finding.VulnID, o.Finding.Component.Name, o.Finding.Component.Version, o.Finding.Severity})
	}
	want := []row{
		{"github.com/containerd/containerd: CVE-2024-39474", "CVE-2024-39474", "github.com/containerd/containerd", "1.4.0", model.SevLow},
		{"k8s.io/apimachinery: CVE-2024-36891", "CVE-2024-36891", "k8s.io/apimachinery", "0.17.2", model.SevMedium},
		{"kernel: GHSA-c9cp-9c75-9v8c", "GHSA-c9cp-9c75-9v8c", "kernel", "109.17800.218.33", model.SevMedium},
		{"kernel: CVE-2020-8559", "CVE-2020-8559", "kernel", "109.17800.218.33", model.SevMedium},
		{"kernel: CVE-2024-36891", "CVE-2024-36891", "kernel", "109.17800.218.33", model.SevMedium},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	o := rec.Observations[0]
	if o.Finding.Component.FixedVersion != "1.5.11" || o.Finding.Component.Path != "/home/kubernetes/bin/containerd-gcfs-grpc" || o.Finding.Kind != model.KindVulnerability {
		t.Errorf("component = %+v", o.Finding.Component)
	}
	wantIDs := []model.Identifier{
		{Kind: model.IDCloudID, Value: "https://www.googleapis.com/compute/v1/projects/big-corp/zones/us-central1-f/instances/k8s-bigcorp-default-zone-0dd0efbc-46n6"},
		{Kind: model.IDIPv4, Value: "10.110.208.6"},
	}
	if diff := cmp.Diff(wantIDs, o.Asset.Identifiers); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
	if o.Asset.Kind != model.AssetCloud || o.Asset.Name != "k8s-bigcorp-default-zone-0dd0efbc-46n6" {
		t.Errorf("asset = %+v", o.Asset)
	}
}

func TestARN(t *testing.T) {
	in := "Created At,Title,Severity,Status,Description,Resource Type,Resource external ID,Control ID,Resource Name,Issue ID\n" +
		"2024-01-01T00:00:00Z,Bucket is public,HIGH,OPEN,d,Bucket,arn:aws:s3:::my-bucket,c-1,my-bucket,i-1\n" +
		"2024-01-01T00:00:00Z,Bucket is public,HIGH,IN_PROGRESS,d,Bucket,arn:aws:s3:::my-bucket,c-1,my-bucket,i-2\n"
	rec := &reporttest.Recorder{}
	if err := wiz.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Observations) != 1 {
		t.Fatalf("observations = %d, want 1 (one control on one resource)", len(rec.Observations))
	}
	if id := rec.Observations[0].Asset.Identifiers[0]; id != (model.Identifier{Kind: model.IDARN, Value: "arn:aws:s3:::my-bucket"}) {
		t.Errorf("identifier = %+v", id)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := wiz.New()
	files, _ := filepath.Glob(filepath.Join(dir, "wiz", "*"))
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
		if filepath.Base(filepath.Dir(p)) == "wiz" {
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
		"wrong csv": "a,b,c\n1,2,3\n",
		"bad quote": "Created At,Title,Severity,Status,Resource external ID,Control ID,Issue ID\n2024,\"x\"y\",HIGH,OPEN,r,c,i\n",
		"truncated": "Created At,Title,Severity,Status,Resource external ID,Control ID,Issue ID\n2024,\"unterminated",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := wiz.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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
