package asff_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/asff"
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

func TestInspectorVulnerability(t *testing.T) {
	rec := reporttest.ParseCorpus(t, asff.New(), "asff/one_vuln.json")
	if len(rec.Observations) != 1 {
		t.Fatalf("%d observations", len(rec.Observations))
	}
	o := rec.Observations[0]
	f := o.Finding
	want := struct {
		Kind      model.FindingKind
		Title     string
		Severity  model.Severity
		VulnID    string
		Component model.Component
		Resource  string
	}{
		model.KindVulnerability,
		"CVE-2017-9735 - org.eclipse.jetty:jetty-server, org.eclipse.jetty:jetty-util",
		model.SevHigh,
		"CVE-2017-9735",
		model.Component{
			Name: "org.eclipse.jetty:jetty-server", Version: "8.1.14.v20131031", FixedVersion: "9.4.6.v20170531",
			Ecosystem: "jar", Path: "/usr/lib/jvm/java-8-oracle/lib/missioncontrol/plugins/org.eclipse.jetty.server_8.1.14.v20131031.jar",
		},
		"arn:aws:ec2:eu-west-1:123456789123:instance/i-0sdg8sa1k2l3j11m2",
	}
	got := want
	got.Kind, got.Title, got.Severity, got.VulnID, got.Component, got.Resource = f.Kind, f.Title, f.Severity, f.VulnID, f.Component, f.Location.Resource
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	if o.ToolSeverity != "HIGH" || o.ToolID != "CVE-2017-9735" {
		t.Errorf("tool id/severity %q %q", o.ToolID, o.ToolSeverity)
	}
	var vectors []string
	for _, c := range f.CVSS {
		vectors = append(vectors, c.Vector)
	}
	if diff := cmp.Diff([]string{"AV:N/AC:L/Au:N/C:P/I:N/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}, vectors); diff != "" {
		t.Errorf("CVSS (-want +got):\n%s", diff)
	}
	// DefectDojo: every address of Resources[0].Details.AwsEc2Instance is a
	// location; ctem makes them identifiers of the instance.
	a := o.Asset
	if a.Kind != model.AssetCloud || a.Name != "i-0sdg8sa1k2l3j11m2" {
		t.Errorf("asset %v %q", a.Kind, a.Name)
	}
	for _, id := range []model.Identifier{
		{Kind: model.IDARN, Value: "arn:aws:ec2:eu-west-1:123456789123:instance/i-0sdg8sa1k2l3j11m2"},
		{Kind: model.IDCloudID, Value: "i-0sdg8sa1k2l3j11m2"},
		{Kind: model.IDIPv4, Value: "123.123.123.123"},
		{Kind: model.IDIPv4, Value: "172.31.0.31"},
	} {
		if !hasID(a.Identifiers, id.Kind, id.Value) {
			t.Errorf("asset lacks %v", id)
		}
	}
	if a.Attributes["account"] != "123456789123" || a.Attributes["region"] != "eu-west-1" {
		t.Errorf("attributes %v", a.Attributes)
	}
}

func TestGuardDuty(t *testing.T) {
	rec := reporttest.ParseCorpus(t, asff.New(), "asff/guardduty/Unusual Behaviors-User-Persistence IAMUser-NetworkPermissions.json")
	if len(rec.Observations) != 1 {
		t.Fatalf("%d observations", len(rec.Observations))
	}
	o := rec.Observations[0]
	if o.Finding.Title != "Unusual changes to network permissions by GeneratedFindingUserName." ||
		o.Finding.Severity != model.SevMedium || o.Finding.Kind != model.KindIdentityWeakness {
		t.Errorf("finding %q %v %v", o.Finding.Title, o.Finding.Severity, o.Finding.Kind)
	}
	if o.Finding.RuleID != "TTPs/Persistence/Persistence:IAMUser-NetworkPermissions" {
		t.Errorf("rule %q", o.Finding.RuleID)
	}
	if !hasID(o.Asset.Identifiers, model.IDIPv4, "10.0.0.1") {
		t.Errorf("asset lacks 10.0.0.1: %v", o.Asset.Identifiers)
	}
	// The second resource, an access key, is covered too.
	if len(rec.Assets) != 2 {
		t.Errorf("%d assets", len(rec.Assets))
	}
}

func TestManyVulnsSeverityAndTitles(t *testing.T) {
	rec := reporttest.ParseCorpus(t, asff.New(), "asff/many_vulns.json")
	for _, o := range rec.Observations {
		if o.Finding.Kind != model.KindVulnerability || o.Finding.VulnID == "" || o.Finding.Title == "" {
			t.Errorf("incomplete: %+v", o.Finding)
		}
		if s, _ := severityOf(o.ToolSeverity); s != o.Finding.Severity {
			t.Errorf("%s: severity %v for label %q", o.ToolID, o.Finding.Severity, o.ToolSeverity)
		}
	}
}

func severityOf(label string) (model.Severity, bool) {
	m := map[string]model.Severity{"CRITICAL": model.SevCritical, "HIGH": model.SevHigh, "MEDIUM": model.SevMedium, "LOW": model.SevLow, "INFORMATIONAL": model.SevInfo}
	s, ok := m[label]
	return s, ok
}

func TestProwlerASFF(t *testing.T) {
	rec := reporttest.ParseCorpus(t, asff.New(), "asff/prowler-output.asff.json")
	// Account-level checks run in every region: one finding per region on
	// the account, not one asset per pseudo resource.
	n := 0
	for _, o := range rec.Observations {
		if o.ToolID == "prowler-accessanalyzer_enabled" {
			n++
			if !hasID(o.Asset.Identifiers, model.IDCloudID, "123456789012") || o.Asset.Attributes["type"] != "AwsAccount" {
				t.Errorf("asset %+v", o.Asset)
			}
		}
		if o.Finding.Kind != model.KindMisconfiguration {
			t.Errorf("%s: kind %v", o.ToolID, o.Finding.Kind)
		}
	}
	if n < 2 {
		t.Errorf("%d accessanalyzer findings", n)
	}
}
