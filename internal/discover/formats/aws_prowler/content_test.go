package awsprowler_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

type row struct {
	Title    string
	Severity model.Severity
}

func rows(t *testing.T, file string) []row {
	t.Helper()
	rec := reporttest.ParseCorpus(t, awsprowler.New(), file)
	var out []row
	for _, o := range rec.Observations {
		out = append(out, row{o.Finding.Title, o.Finding.Severity})
		if o.Finding.Kind != model.KindMisconfiguration || o.Finding.RuleID == "" || o.Asset.Attributes["type"] != "AwsAccount" {
			t.Errorf("%s: %+v", file, o)
		}
	}
	return out
}

func TestCSV(t *testing.T) {
	got := rows(t, "aws_prowler/many_vuln.csv")
	want := []row{
		{"Root user in the account wasn't accessed in the last 1 days", model.SevHigh},
		{"User example_user has never used access key 1 since creation and not rotated it in the past 90 days", model.SevMedium},
		{"Password Policy has weak reuse requirement (lower than 24)", model.SevMedium},
		{"eu-west-2: sg-01234567890qwerty is not being used!", model.SevLow},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	rec := reporttest.ParseCorpus(t, awsprowler.New(), "aws_prowler/many_vuln.csv")
	o := rec.Observations[0]
	if o.ToolID != "check11" || o.Finding.Location.Resource != "us-east-1: Root user in the account wasn't accessed in the last 1 days" ||
		o.Asset.Identifiers[0] != (model.Identifier{Kind: model.IDCloudID, Value: "012345678910"}) {
		t.Errorf("%+v", o)
	}
}

func TestPassedRowsAreCoverage(t *testing.T) {
	// DefectDojo's finding[1] is ctem's first: finding[0] is a PASS row.
	got := rows(t, "aws_prowler/issue4450.csv")
	if got[0] != (row{"User ansible-test-user has Password enabled but MFA disabled", model.SevHigh}) {
		t.Errorf("%+v", got[0])
	}
	rec := reporttest.ParseCorpus(t, awsprowler.New(), "aws_prowler/issue4450.csv")
	if len(rec.Assets) != 1 {
		t.Errorf("%d assets", len(rec.Assets))
	}
	found := false
	for _, r := range rows(t, "aws_prowler/many_vuln2.csv") {
		if strings.HasPrefix(r.Title, "User example has never used access key 1 since creation and not rotate") {
			found = true
		}
	}
	if !found {
		t.Error("many_vuln2.csv: access key finding missing")
	}
}

func TestJSONLines(t *testing.T) {
	got := rows(t, "aws_prowler/many_vuln.json")
	want := []row{
		{"eu-central-1: Only Virtual MFA is enabled for root", model.SevCritical},
		{"eu-central-1: Cluster control plane access is not restricted for EKS cluster prod", model.SevHigh},
		{"eu-central-1: Control plane logging is not enabled for EKS cluster prod", model.SevMedium},
		{"eu-central-1: prod.config_read.iam has inline policy directly attached", model.SevLow},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
