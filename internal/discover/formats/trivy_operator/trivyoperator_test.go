package trivyoperator_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

func TestVulnerabilityReport(t *testing.T) {
	rec := parse(t, "trivy_operator/vulnerabilityreport_single_vuln.json")
	o := rec.Observations[0]
	f := o.Finding
	if f.VulnID != "CVE-2023-23914" || f.Severity != model.SevCritical || f.Title != "curl: HSTS ignored on multiple requests" {
		t.Errorf("%q %q %q", f.VulnID, f.Severity, f.Title)
	}
	want := model.Component{Name: "curl", Version: "7.87.0-r1", FixedVersion: "7.87.0-r2"}
	if d := cmp.Diff(want, f.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if f.Remediation != "Upgrade curl to 7.87.0-r2." || !strings.Contains(o.Evidence, "score 4.2") {
		t.Errorf("remediation %q evidence %q", f.Remediation, o.Evidence)
	}
	wantAsset := report.AssetRef{Kind: model.AssetImage, Name: "index.docker.io/library/nginx:alpine",
		Identifiers: []model.Identifier{{Kind: model.IDImageRef, Value: "index.docker.io/library/nginx:alpine"}},
		Attributes:  map[string]string{"namespace": "default", "workload": "ReplicaSet/nginx-deployment-965685897", "container": "nginx"}}
	if d := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); d != "" {
		t.Errorf("assets (-want +got):\n%s", d)
	}

	many := parse(t, "trivy_operator/vulnerabilityreport_many.json")
	if g := many.Observations[1].Finding; g.VulnID != "CVE-2023-23916" || g.Severity != model.SevHigh || g.Component.FixedVersion != "7.87.0-r2" {
		t.Errorf("%+v", g)
	}
}

func TestVulnerabilityReportExtended(t *testing.T) {
	rec := parse(t, "trivy_operator/vulnerabilityreport_extended.json")
	f := rec.Observations[0].Finding
	want := model.Component{Name: "libgnutls30", Version: "3.6.13-2ubuntu1.9", FixedVersion: "3.6.13-2ubuntu1.10",
		PURL: "pkg:deb/ubuntu/libgnutls30@3.6.13-2ubuntu1.9?distro=ubuntu-20.04", Ecosystem: "ubuntu"}
	if d := cmp.Diff(want, f.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if f.VulnID != "CVE-2024-0553" || f.Severity != model.SevMedium {
		t.Errorf("%q %q", f.VulnID, f.Severity)
	}
	a := rec.Assets[0]
	wantIDs := []model.Identifier{
		{Kind: model.IDImageDigest, Value: "sha256:f78909c2b360d866b3220655c0b079838258b8891a12ac25fc670f0cbb54229f"},
		{Kind: model.IDImageRef, Value: "index.docker.io/library/ubuntu:20.04"},
	}
	if d := cmp.Diff(wantIDs, a.Identifiers); d != "" {
		t.Errorf("identifiers (-want +got):\n%s", d)
	}
	if a.Attributes["os"] != "ubuntu 20.04" {
		t.Errorf("attributes %v", a.Attributes)
	}
}

func TestConfigAudit(t *testing.T) {
	rec := parse(t, "trivy_operator/configauditreport_many.json")
	var got [][3]string
	for _, o := range rec.Observations[:2] {
		got = append(got, [3]string{o.Finding.RuleID, o.Finding.Title, string(o.Finding.Severity)})
	}
	want := [][3]string{{"AVD-KSV-0014", "Root file system is not read-only", "low"}, {"AVD-KSV-0016", "Memory requests not specified", "low"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
	o := rec.Observations[0]
	if o.ToolID != "KSV014" || o.Finding.Kind != model.KindMisconfiguration || !strings.Contains(o.Evidence, "readOnlyRootFilesystem") {
		t.Errorf("%q %q %q", o.ToolID, o.Finding.Kind, o.Evidence)
	}
	wantAsset := report.AssetRef{Kind: model.AssetCloud, Name: "default/ReplicaSet/nginx-deployment-965685897",
		Identifiers: []model.Identifier{{Kind: model.IDCloudID, Value: "default/ReplicaSet/nginx-deployment-965685897"}},
		Attributes:  map[string]string{"platform": "kubernetes", "namespace": "default", "kind": "ReplicaSet"}}
	if d := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); d != "" {
		t.Errorf("assets (-want +got):\n%s", d)
	}
	missing := parse(t, "trivy_operator/configauditreport_missing_checkid.json")
	if m := missing.Observations[0]; m.Finding.RuleID != "Missing checkID test" || m.Finding.Severity != model.SevMedium {
		t.Errorf("%+v", m.Finding)
	}
}

func TestExposedSecret(t *testing.T) {
	rec := parse(t, "trivy_operator/exposedsecretreport_single_vuln.json")
	o := rec.Observations[0]
	f := o.Finding
	if f.Kind != model.KindSecret || f.Severity != model.SevCritical || f.RuleID != "aws-secret-access-key" || f.Location.File != "root/aws_secret.txt" || f.Title != "AWS Secret Access Key" {
		t.Errorf("%+v", f)
	}
	if strings.Contains(o.Evidence, "****") || o.Secret != "" {
		t.Errorf("evidence %q secret %q", o.Evidence, o.Secret)
	}
	if rec.Assets[0].Kind != model.AssetImage || rec.Assets[0].Name != "index.docker.io/library/secret:latest" {
		t.Errorf("asset %+v", rec.Assets[0])
	}
}

func TestCompliance(t *testing.T) {
	rec := parse(t, "trivy_operator/cis_benchmark.json")
	o := rec.Observations[0]
	if o.Finding.RuleID != "AVD-KSV-0041" || o.Finding.Severity != model.SevCritical || o.Asset.Name != "ClusterRole/admin" {
		t.Errorf("%q %q %q", o.Finding.RuleID, o.Finding.Severity, o.Asset.Name)
	}
	if !strings.Contains(o.Evidence, "control: cis 5.1.2") {
		t.Errorf("evidence %q", o.Evidence)
	}
	var ds bool
	for _, o := range rec.Observations {
		if o.Asset.Name == "kube-system/DaemonSet/csi-azuredisk-node" && o.Finding.RuleID == "AVD-KSV-0017" && o.Finding.Severity == model.SevHigh {
			ds = true
		}
	}
	if !ds {
		t.Error("no AVD-KSV-0017 on kube-system/DaemonSet/csi-azuredisk-node")
	}

	sev := parse(t, "trivy_operator/compliance_severity.json")
	if d := cmp.Diff([]model.Severity{model.SevMedium, model.SevHigh}, []model.Severity{sev.Observations[0].Finding.Severity, sev.Observations[1].Finding.Severity}); d != "" {
		t.Errorf("severities (-want +got):\n%s", d)
	}

	sum := parse(t, "trivy_operator/clustercompliancereport.json")
	var rules []string
	for _, o := range sum.Observations {
		rules = append(rules, o.Finding.RuleID)
	}
	if d := cmp.Diff([]string{"cis:4.2.10", "cis:4.2.11"}, rules); d != "" {
		t.Errorf("controls (-want +got):\n%s", d)
	}
	if !strings.Contains(sum.Observations[0].Evidence, "AVD-KCV-0088, AVD-KCV-0089") || sum.Observations[0].Finding.Severity != model.SevCritical {
		t.Errorf("%q %q", sum.Observations[0].Evidence, sum.Observations[0].Finding.Severity)
	}
}

func TestListShapes(t *testing.T) {
	dict := parse(t, "trivy_operator/all_reports_in_dict.json")
	kinds := map[model.FindingKind]int{}
	for _, o := range dict.Observations {
		kinds[o.Finding.Kind]++
	}
	if d := cmp.Diff(map[model.FindingKind]int{model.KindVulnerability: 41, model.KindMisconfiguration: 1, model.KindSecret: 1}, kinds); d != "" {
		t.Errorf("kinds (-want +got):\n%s", d)
	}
	// kubectl get ... -o json writes a List.
	in := `{"apiVersion":"v1","items":[{"apiVersion":"aquasecurity.github.io/v1alpha1","kind":"ConfigAuditReport","metadata":{"labels":{"trivy-operator.resource.kind":"ClusterRole","trivy-operator.resource.name":"admin","trivy-operator.resource.namespace":""}},"report":{"checks":[{"checkID":"KSV041","title":"Manage secrets","severity":"CRITICAL","success":false},{"checkID":"KSV042","title":"ok","severity":"LOW","success":true}]}}],"kind":"List","metadata":{"resourceVersion":""}}`
	rec := parseString(t, in)
	if len(rec.Observations) != 1 || rec.Observations[0].Asset.Name != "ClusterRole/admin" || rec.Observations[0].Finding.RuleID != "AVD-KSV-0041" {
		t.Errorf("%+v", rec.Observations)
	}
	empty := parseString(t, `{"apiVersion":"v1","items":[],"kind":"List"}`)
	if len(empty.Observations) != 0 {
		t.Errorf("%+v", empty.Observations)
	}
}
