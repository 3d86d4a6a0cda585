package awsprowlerv3plus_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler_v3plus"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestV3JSON(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awsprowlerv3plus.New(), "aws_prowler_v3plus/one_vuln.json")
	o := rec.Observations[0]
	f := o.Finding
	if o.ToolID != "acm_certificates_expiration_check" || f.RuleID != o.ToolID || f.Severity != model.SevHigh {
		t.Errorf("%q %q %v", o.ToolID, f.RuleID, f.Severity)
	}
	if !strings.Contains(f.Description, "Check if ACM Certificates are about to expire in specific days or less") {
		t.Errorf("description %q", f.Description)
	}
	arn := "arn:aws:acm:us-east-1:999999999999:certificate/ffffffff-0000-0000-0000-000000000000"
	if diff := cmp.Diff([]model.Identifier{{Kind: model.IDARN, Value: arn}}, o.Asset.Identifiers); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
	if f.Location.Resource != arn || len(f.References) == 0 ||
		!strings.HasPrefix(f.References[0], "https://docs.aws.amazon.com/config/latest/developerguide/acm-certific") {
		t.Errorf("location %q references %v", f.Location.Resource, f.References)
	}
	many := reporttest.ParseCorpus(t, awsprowlerv3plus.New(), "aws_prowler_v3plus/many_vuln.json")
	var ids []string
	for _, o := range many.Observations {
		ids = append(ids, o.ToolID)
	}
	if diff := cmp.Diff([]string{"acm_certificates_expiration_check", "accessanalyzer_enabled", "account_maintain_current_contact_details"}, ids); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestV4OCSF(t *testing.T) {
	for _, file := range []string{"aws_prowler_v3plus/one_vuln_after_4_5_0.ocsf.json", "aws_prowler_v3plus/many_vuln.ocsf.json"} {
		rec := reporttest.ParseCorpus(t, awsprowlerv3plus.New(), file)
		o := rec.Observations[0]
		f := o.Finding
		if o.ToolID != "iam_role_administratoraccess_policy_permissive_trust_relationship" || f.Severity != model.SevHigh {
			t.Errorf("%s: %q %v", file, o.ToolID, f.Severity)
		}
		if !strings.Contains(f.Description, "Ensure IAM Roles with attached AdministratorAccess policy have a well") {
			t.Errorf("%s: description %q", file, f.Description)
		}
		want := []model.Identifier{{Kind: model.IDARN, Value: "arn:aws:iam::123456789012:role/myAdministratorExecutionRole"}}
		if diff := cmp.Diff(want, o.Asset.Identifiers); diff != "" {
			t.Errorf("%s: asset (-want +got):\n%s", file, diff)
		}
		found := false
		for _, r := range f.References {
			found = found || strings.HasPrefix(r, "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#")
		}
		if !found {
			t.Errorf("%s: references %v", file, f.References)
		}
	}
	// The third result of many_vuln.ocsf.json is muted ("Suppressed").
	rec := reporttest.ParseCorpus(t, awsprowlerv3plus.New(), "aws_prowler_v3plus/many_vuln.ocsf.json")
	if got := rec.Observations[1].ToolID; !strings.HasPrefix(got, "iam_role_cross_account_readonlyaccess_policy") || len(rec.Observations) != 2 {
		t.Errorf("%q, %d observations", got, len(rec.Observations))
	}
}
