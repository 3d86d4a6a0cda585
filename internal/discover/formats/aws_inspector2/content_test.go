package awsinspector2_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/aws_inspector2"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func hasID(ids []model.Identifier, kind model.IdentifierKind, v string) bool {
	for _, id := range ids {
		if id.Kind == kind && id.Value == v {
			return true
		}
	}
	return false
}

func TestECRImageVulnerability(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awsinspector2.New(), "aws_inspector2/aws_inspector2_one_vul.json")
	o := rec.Observations[0]
	f := o.Finding
	if f.Title != "CVE-2021-3744 - linux" || f.Severity != model.SevMedium || f.VulnID != "CVE-2021-3744" || o.ToolSeverity != "MEDIUM" {
		t.Errorf("finding %q %v %q %q", f.Title, f.Severity, f.VulnID, o.ToolSeverity)
	}
	if diff := cmp.Diff([]model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", Score: 5.5}}, f.CVSS); diff != "" {
		t.Errorf("CVSS (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(model.Component{Name: "linux", Version: "4.19.118-2", FixedVersion: "0:4.19.232-1", Ecosystem: "os"}, f.Component); diff != "" {
		t.Errorf("component (-want +got):\n%s", diff)
	}
	a := o.Asset
	if a.Kind != model.AssetImage || a.Name != "my-awesome-docker-image:2.3.0" ||
		!hasID(a.Identifiers, model.IDImageDigest, "sha256:c667ad018b538adadb5bd1db75836c8561b23bc7d31d9cd8941fa74f5df93802") ||
		!hasID(a.Identifiers, model.IDImageRef, "012345678901.dkr.ecr.us-east-1.amazonaws.com/my-awesome-docker-image:2.3.0") {
		t.Errorf("asset %+v", a)
	}
}

func TestEC2AndClosed(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awsinspector2.New(), "aws_inspector2/aws_inspector2_many_vul.json")
	for _, o := range rec.Observations {
		// finding[0], CVE-2021-3744, is CLOSED: fixed, not observed.
		if o.ToolID == "CVE-2021-3744" {
			t.Errorf("closed finding observed")
		}
	}
	last := rec.Observations[len(rec.Observations)-1]
	a := last.Asset
	if a.Kind != model.AssetCloud || a.Name != "i-0b22a22eec53b9321" {
		t.Errorf("asset %v %q", a.Kind, a.Name)
	}
	for _, id := range []model.Identifier{
		{Kind: model.IDARN, Value: "arn:aws:ec2:us-east-1:012345678901:instance/i-0b22a22eec53b9321"},
		{Kind: model.IDCloudID, Value: "i-0b22a22eec53b9321"},
		{Kind: model.IDIPv4, Value: "8.84.11.16"},
		{Kind: model.IDIPv4, Value: "10.52.88.71"},
	} {
		if !hasID(a.Identifiers, id.Kind, id.Value) {
			t.Errorf("asset lacks %v", id)
		}
	}
	if a.Attributes["os"] != "CENTOS_7" {
		t.Errorf("attributes %v", a.Attributes)
	}
	if last.Finding.Component.Name != "libxml2" || last.Finding.CVSS[0].Version != "2.0" {
		t.Errorf("finding %+v", last.Finding)
	}
	// The closed finding's image is still covered.
	if len(rec.Assets) != 8 {
		t.Errorf("%d assets", len(rec.Assets))
	}
}

func TestLambdaPackage(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awsinspector2.New(), "aws_inspector2/aws_inspector2_package_vuln_metadata.json")
	o := rec.Observations[0]
	f := o.Finding
	if diff := cmp.Diff(model.Component{Name: "go/stdlib", Version: "1.24.4", FixedVersion: "1.25.3", Ecosystem: "generic", Path: "extensions/collector"}, f.Component); diff != "" {
		t.Errorf("component (-want +got):\n%s", diff)
	}
	if f.VulnID != "CVE-2025-58187" || f.CVSS[0].Score != 7.5 {
		t.Errorf("%q %v", f.VulnID, f.CVSS)
	}
	if diff := cmp.Diff([]string{"https://nvd.nist.gov/vuln/detail/CVE-2025-58187", "https://groups.google.com/g/golang-announce/c/4Emdl2iQ_bI"}, f.References); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	// The function, not its $LATEST version, is the asset.
	if !hasID(o.Asset.Identifiers, model.IDARN, "arn:aws:lambda:us-west-2:123456789014:function:web-user-manager-api-stage-healthCheck-EXAMPLE1ABCD") {
		t.Errorf("asset %v", o.Asset.Identifiers)
	}
}

func TestCodeVulnerability(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awsinspector2.New(), "aws_inspector2/aws_inspector2_package_vuln_metadata_multi_cwe_fabricated.json")
	o := rec.Observations[0]
	f := o.Finding
	if f.Kind != model.KindCodeWeakness || f.Title != "CWE-117,93 - Log injection" || f.RuleID != "python-log-injection" {
		t.Errorf("finding %v %q %q", f.Kind, f.Title, f.RuleID)
	}
	if diff := cmp.Diff([]int{117, 93}, f.CWEs); diff != "" {
		t.Errorf("CWEs (-want +got):\n%s", diff)
	}
	if f.Location.File != "src/project_api/service/api_client.py" || f.Location.Line != 268 {
		t.Errorf("location %+v", f.Location)
	}
	if o.Anchor == "" {
		t.Error("no anchor")
	}
}
