package prowler_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/prowler"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

type row struct {
	Title    string
	Severity model.Severity
}

func rows(t *testing.T, file string) []row {
	t.Helper()
	rec := reporttest.ParseCorpus(t, prowler.New(), file)
	var out []row
	for _, o := range rec.Observations {
		out = append(out, row{o.Finding.Title, o.Finding.Severity})
		if o.Finding.Kind != model.KindMisconfiguration || o.Finding.RuleID == "" || o.ToolID != o.Finding.RuleID {
			t.Errorf("%s: %+v", file, o)
		}
	}
	return out
}

// shorten cuts titles the way the manifest abbreviates them.
func shorten(rs []row, n int) []row {
	for i := range rs {
		if len(rs[i].Title) > n {
			rs[i].Title = rs[i].Title[:n]
		}
	}
	return rs
}

func TestCSV(t *testing.T) {
	tests := []struct {
		file string
		want []row
	}{
		{"prowler/example_output_aws.csv", []row{
			{"Check if IAM Access Analyzer is enabled", model.SevLow},
			{"Maintain current contact details.", model.SevMedium},
			{"Maintain different contact details to security, billing and operations", model.SevMedium},
			{"Ensure security contact information is registered.", model.SevMedium},
		}},
		{"prowler/example_output_azure.csv", []row{
			{"Ensure AKS RBAC is enabled", model.SevMedium},
			{"Ensure clusters are created with Private Nodes", model.SevHigh},
			{"Ensure clusters are created with Private Endpoint Enabled and Public A", model.SevHigh},
			{"Ensure Network Policy is Enabled and set as appropriate", model.SevMedium},
		}},
		{"prowler/example_output_kubernetes.csv", []row{
			{"Ensure that the admission control plugin AlwaysPullImages is set", model.SevMedium},
			{"Ensure that the --anonymous-auth argument is set to false", model.SevHigh},
			{"Ensure that the --audit-log-maxage argument is set to 30 or as appropr", model.SevMedium},
			{"Ensure that the --audit-log-maxbackup argument is set to 10 or as appr", model.SevMedium},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(shorten(tt.want, 70), shorten(rows(t, tt.file), 70)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
	rec := reporttest.ParseCorpus(t, prowler.New(), "prowler/example_output_kubernetes.csv")
	if a := rec.Observations[0].Asset; a.Attributes["namespace"] != "kube-system" || a.Attributes["provider"] != "kubernetes" {
		t.Errorf("asset %+v", a)
	}
}

func TestOCSF(t *testing.T) {
	tests := []struct {
		file string
		want []row
	}{
		{"prowler/example_output_aws.ocsf.json", []row{
			{"IAM Access Analyzer in account <account_uid> is not enabled.", model.SevLow},
			{"Login to the AWS Console. Choose your account name on the top right of", model.SevMedium},
			{"SECURITY, BILLING and OPERATIONS contacts not found or they are not di", model.SevMedium},
		}},
		{"prowler/example_output_azure.ocsf.json", []row{
			{"There are no AppInsight configured in subscription <subscription_name>", model.SevLow},
			{"There is not another correct email configured for subscription <subscr", model.SevMedium},
			{"Defender plan Defender for App Services from subscription <subscriptio", model.SevHigh},
		}},
		{"prowler/example_output_gcp.ocsf.json", []row{
			{"Project <project_id> does not have active API Keys.", model.SevMedium},
			{"AR Container Analysis is not enabled in project <project_id>.", model.SevMedium},
			{"Firewall <resource_id> does exposes port 3389 (RDP) to the internet.", model.SevCritical},
		}},
		{"prowler/example_output_kubernetes.ocsf.json", []row{
			{"AlwaysPullImages admission control plugin is not set in pod <pod>.", model.SevMedium},
			{"Audit log max age is not set to 30 or as appropriate in pod <pod>.", model.SevMedium},
			{"Audit log max backup is not set to 10 or as appropriate in pod <pod>.", model.SevMedium},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(shorten(tt.want, 70), shorten(rows(t, tt.file), 70)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
	rec := reporttest.ParseCorpus(t, prowler.New(), "prowler/example_output_aws.ocsf.json")
	o := rec.Observations[1]
	if o.Asset.Identifiers[0] != (model.Identifier{Kind: model.IDARN, Value: "arn:aws:iam::<account_uid>:root"}) ||
		!strings.Contains(o.Evidence, "Manual check") {
		t.Errorf("%+v", o)
	}
}

func TestGenerationSplit(t *testing.T) {
	// Prowler 4 OCSF belongs to aws_prowler_v3plus, 5 to prowler; a
	// placeholder product version falls back on the OCSF schema version.
	tests := []struct {
		head string
		gen  int
		ok   bool
	}{
		{`[{"metadata":{"event_code":"x","product":{"name":"Prowler","version":"4.2.1"},"version":"1.2.0"}}]`, 4, true},
		{`[{"metadata":{"event_code":"x","product":{"name":"Prowler","version":"5.4.0"},"version":"1.4.0"}}]`, 5, true},
		{`[{"metadata":{"event_code":"x","product":{"name":"Prowler","version":"<prowler_version>"},"version":"1.4.0"}}]`, 5, true},
		{`[{"metadata":{"event_code":"x","product":{"name":"Prowler","version":""},"version":"1.2.0"}}]`, 4, true},
		{`[{"metadata":{"event_code":"x","product":{"name":"Other","version":"5.0"}}}]`, 0, false},
		{`[{"metadata":{"event_code":"x","product":{"name":"Prowler","version":"5.1.0"`, 5, true},
		{`[]`, 0, false},
	}
	for _, tt := range tests {
		gen, ok := prowler.OCSFGeneration([]byte(tt.head))
		if gen != tt.gen || ok != tt.ok {
			t.Errorf("%s: %d %v, want %d %v", tt.head, gen, ok, tt.gen, tt.ok)
		}
	}
}
