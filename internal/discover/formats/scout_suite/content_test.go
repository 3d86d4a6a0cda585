package scoutsuite_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/scout_suite"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

type row struct {
	Title    string
	Severity model.Severity
	ToolID   string
}

func TestAWS(t *testing.T) {
	rec := reporttest.ParseCorpus(t, scoutsuite.New(), "scout_suite/new2.js")
	at := func(i int) row {
		o := rec.Observations[i]
		return row{o.Finding.Title, o.Finding.Severity, o.ToolID}
	}
	want := []row{
		{"CloudTrail Service Not Configured", model.SevCritical, "aws:cloudtrail-not-configured"},
		{"CloudTrail Service Not Configured", model.SevCritical, "aws:cloudtrail-not-configured"},
		{"AWS Config Not Enabled", model.SevMedium, "aws:config-recorder-not-configured"},
	}
	if diff := cmp.Diff(want, []row{at(0), at(15), at(29)}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A region-level rule is a finding on the account, per region.
	o := rec.Observations[0]
	if diff := cmp.Diff([]model.Identifier{{Kind: model.IDCloudID, Value: "430150006394"}}, o.Asset.Identifiers); diff != "" {
		t.Errorf("account asset (-want +got):\n%s", diff)
	}
	if o.Finding.Location.Resource != "cloudtrail.regions.ap-northeast-1.NotConfigured" {
		t.Errorf("location %q", o.Finding.Location.Resource)
	}
	// A security group rule is a finding on the security group.
	found := false
	for _, o := range rec.Observations {
		if o.ToolID == "aws:ec2-security-group-opens-all-ports" && o.Asset.Name == "default" {
			found = true
			want := []model.Identifier{{Kind: model.IDARN, Value: "arn:aws:ec2:ap-northeast-1:430150006394:security-group/sg-6569b32b"}}
			if diff := cmp.Diff(want, o.Asset.Identifiers); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			break
		}
	}
	if !found {
		t.Error("no security group finding")
	}
}

func TestGCP(t *testing.T) {
	rec := reporttest.ParseCorpus(t, scoutsuite.New(), "scout_suite/two_findings.js")
	var got []row
	for _, o := range rec.Observations {
		got = append(got, row{o.Finding.Title, o.Finding.Severity, o.ToolID})
	}
	want := []row{
		{"Bucket with Logging Disabled", model.SevMedium, "gcp:cloudstorage-bucket-no-logging"},
		{"Bucket with Logging Disabled", model.SevMedium, "gcp:cloudstorage-bucket-no-logging"},
		{"Bucket with Versioning Disabled", model.SevMedium, "gcp:cloudstorage-bucket-no-versioning"},
		{"Bucket with Versioning Disabled", model.SevMedium, "gcp:cloudstorage-bucket-no-versioning"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	o := rec.Observations[0]
	if diff := cmp.Diff([]model.Identifier{{Kind: model.IDCloudID, Value: "gcp-project-id/buckets/gcp-project-id.appspot.com"}}, o.Asset.Identifiers); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if o.Evidence != "cloudstorage.projects.gcp-project-id.buckets.52fc025e81845686d3c9fe5a5dc4f5e7ae740064.logging_enabled = false" {
		t.Errorf("evidence %q", o.Evidence)
	}
	// The account and both buckets are covered.
	if len(rec.Assets) != 3 {
		t.Errorf("%d assets", len(rec.Assets))
	}
	none := reporttest.ParseCorpus(t, scoutsuite.New(), "scout_suite/no_vuln.js")
	if len(none.Assets) == 0 {
		t.Error("a clean scan covers nothing")
	}
}
