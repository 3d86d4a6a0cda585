package tfsec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/tfsec"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestCurrent(t *testing.T) {
	rec := reporttest.ParseCorpus(t, tfsec.New(), "tfsec/many_findings_current.json")
	f := rec.Observations[0].Finding
	want := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       "An ingress Network ACL rule allows ALL ports.",
		Description: "Resource 'module.SUBNETS:aws_network_acl_rule.public_inbound[0]' defines a fully open ingress Network ACL rule with ALL ports open.\n\nAll ports exposed for egressing data",
		Severity:    model.SevCritical,
		RuleID:      "aws-vpc-no-excessive-port-access",
		Remediation: "Set specific allowed ports",
		Location:    model.Location{File: "/tmp/aws-eks/modules/vpc-subnets/resources.tf", Line: 155, Resource: "/tmp/aws-eks/modules/vpc-subnets/resources.tf:aws_network_acl_rule.public_inbound"},
		References: []string{
			"https://tfsec.dev/docs/aws/vpc/no-excessive-port-access#aws/vpc",
			"https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/network_acl_rule#to_port",
			"https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html",
		},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("finding[0] (-want +got):\n%s", diff)
	}
	sev := map[model.Severity]int{}
	for _, o := range rec.Observations {
		sev[o.Finding.Severity]++
	}
	// DefectDojo counts 8 critical: two ACL rules are reported twice each
	// (their from_port and to_port lines), which ctem keeps once.
	if diff := cmp.Diff(map[model.Severity]int{model.SevCritical: 6, model.SevHigh: 3, model.SevMedium: 1, model.SevLow: 1}, sev); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
}

func TestLegacy(t *testing.T) {
	type row struct {
		Rule, Title string
		Severity    model.Severity
		File        string
		Line        int
	}
	rec := reporttest.ParseCorpus(t, tfsec.New(), "tfsec/many_findings_legacy.json")
	var got []row
	for _, o := range rec.Observations {
		got = append(got, row{o.ToolID, o.Finding.Title, o.Finding.Severity, o.Finding.Location.File, o.Finding.Location.Line})
	}
	want := []row{
		{"GCP009", "Pod security policy enforcement not defined.", model.SevHigh, "tfsec-test/cluster.tf", 52},
		{"GCP010", "Shielded GKE nodes not enabled.", model.SevHigh, "tfsec-test/cluster.tf", 52},
		{"GEN003", "Potentially sensitive data stored in block attribute.", model.SevMedium, "tfsec-test/identity.tf", 226},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	one := reporttest.ParseCorpus(t, tfsec.New(), "tfsec/one_finding_legacy.json").Observations[0]
	if one.Finding.Remediation != "Don't include sensitive data in blocks" || one.ToolSeverity != "WARNING" ||
		!cmp.Equal(one.Finding.References, []string{"https://tfsec.dev/docs/general/GEN003/"}) {
		t.Errorf("%+v", one)
	}
}
