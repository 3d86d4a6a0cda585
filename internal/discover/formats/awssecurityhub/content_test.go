package awssecurityhub_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/awssecurityhub"
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

func TestInspectorEC2(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/inspector_ec2_cve.json")
	o := rec.Observations[0]
	f := o.Finding
	if f.Title != "CVE-2022-3643 - kernel" || f.VulnID != "CVE-2022-3643" || len(f.Aliases) != 0 || f.Severity != model.SevCritical {
		t.Errorf("finding %q %q %v %v", f.Title, f.VulnID, f.Aliases, f.Severity)
	}
	if len(f.CVSS) == 0 || f.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" {
		t.Errorf("CVSS %v", f.CVSS)
	}
	if f.Component.Name != "kernel" || !strings.HasPrefix(f.Component.Version, "4.14.301") {
		t.Errorf("component %+v", f.Component)
	}
	if !hasID(o.Asset.Identifiers, model.IDCloudID, "i-11111111111111111") ||
		!hasID(o.Asset.Identifiers, model.IDARN, "arn:aws:ec2:us-east-1:XXXXXXXXXXXX:instance/i-11111111111111111") {
		t.Errorf("asset %v", o.Asset.Identifiers)
	}
}

func TestInspectorGHSA(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/inspector_ec2_ghsa.json")
	o := rec.Observations[0]
	f := o.Finding
	got := append([]string{f.VulnID}, f.Aliases...)
	if diff := cmp.Diff([]string{"CVE-2023-34256", "GHSA-p98r-538v-jgw5"}, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if !strings.Contains(f.Title, "GHSA-p98r-538v-jgw5") || f.Severity != model.SevMedium || len(f.CVSS) != 0 {
		t.Errorf("finding %q %v %v", f.Title, f.Severity, f.CVSS)
	}
	if diff := cmp.Diff([]string{"https://github.com/bottlerocket-os/bottlerocket/security/advisories/GHSA-p98r-538v-jgw5"}, f.References); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if !hasID(o.Asset.Identifiers, model.IDARN, "arn:aws:ec2:eu-central-1:012345678912:instance/i-07c11cc535d830123") ||
		o.Asset.Attributes["os"] != "BOTTLEROCKET" {
		t.Errorf("asset %+v", o.Asset)
	}
}

func TestGuardDuty(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/guardduty.json")
	if len(rec.Observations) != 4 {
		t.Fatalf("%d observations", len(rec.Observations))
	}
	first, last := rec.Observations[0], rec.Observations[3]
	if first.Finding.Severity != model.SevMedium || !hasID(first.Asset.Identifiers, model.IDARN, "arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890") {
		t.Errorf("first %v %v", first.Finding.Severity, first.Asset.Identifiers)
	}
	// SSH brute force against the instance: its port 22 is exposed. An
	// outbound port scan says nothing of its own ports.
	brute, scan := rec.Observations[2].Finding, rec.Observations[1].Finding
	if brute.Kind != model.KindExposedService || brute.Location.Port != 22 || brute.Location.Protocol != "tcp" {
		t.Errorf("brute force %v %+v", brute.Kind, brute.Location)
	}
	if scan.Kind != model.KindMisconfiguration || scan.RuleID != "TTPs/Discovery/Recon:EC2-Portscan" {
		t.Errorf("port scan %v %q", scan.Kind, scan.RuleID)
	}
	if last.Finding.Severity != model.SevLow || !strings.HasPrefix(last.Finding.Title, "User AssumedRole : 123123123 is anomalously invoking APIs commonly use") ||
		last.Finding.RuleID != "TTPs/Discovery/IAMUser-AnomalousBehavior" || last.Finding.Kind != model.KindIdentityWeakness {
		t.Errorf("last %+v", last.Finding)
	}
}

func TestControls(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/config_multiple_resources.json")
	var got []string
	for _, o := range rec.Observations {
		got = append(got, o.ToolID+" "+o.Finding.Location.Resource)
	}
	want := []string{
		"EC2.2 arn:aws:ec2:us-east-1:012345678912:security-group/sg-0fff2222bbbb1111a",
		"S3.8 arn:aws:s3:::zeta-reports-bucket",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Every resource of every finding is covered.
	if len(rec.Assets) != 5 {
		t.Errorf("%d assets", len(rec.Assets))
	}
	one := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/config_one_finding_active.json")
	if o := one.Observations[0]; o.Finding.Severity != model.SevMedium || o.ToolID != "IAM.5" ||
		!hasID(o.Asset.Identifiers, model.IDCloudID, "012345678912") {
		t.Errorf("%+v", o)
	}
	// A passed control is coverage of its account only.
	passed := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/config_many_findings.json")
	if len(passed.Observations) != 0 || len(passed.Assets) != 1 {
		t.Errorf("%d observations, %d assets", len(passed.Observations), len(passed.Assets))
	}
}

func TestMissingAccount(t *testing.T) {
	rec := reporttest.ParseCorpus(t, awssecurityhub.New(), "awssecurityhub/missing_account_id.json")
	o := rec.Observations[0]
	if hasID(o.Asset.Identifiers, model.IDARN, "") || !hasID(o.Asset.Identifiers, model.IDCloudID, "i-1234xxyy") {
		t.Errorf("asset %v", o.Asset.Identifiers)
	}
	if o.Finding.VulnID != "CVE-2024-1234" {
		t.Errorf("vuln %q", o.Finding.VulnID)
	}
}
