package checkov_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/checkov"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestMultipleCheckTypes(t *testing.T) {
	rec := reporttest.ParseCorpus(t, checkov.New(), "checkov/checkov-report-multiple-check_type.json")
	types := map[string]int{}
	for _, o := range rec.Observations {
		line, _, _ := strings.Cut(o.Finding.Description, "\n")
		types[line]++
		if o.Asset.Kind != model.AssetRepository || len(o.Asset.Identifiers) != 0 {
			t.Errorf("asset %+v", o.Asset)
		}
	}
	if diff := cmp.Diff(map[string]int{"Check type: terraform": 11, "Check type: dockerfile": 2}, types); diff != "" {
		t.Errorf("check types (-want +got):\n%s", diff)
	}
	first := rec.Observations[0].Finding
	want := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       "Ensure RDS database has IAM authentication enabled",
		Description: "Check type: terraform",
		Severity:    model.SevMedium,
		RuleID:      "CKV_AWS_161",
		Location:    model.Location{File: "/aws/db-app.tf", Line: 1, EndLine: 41, Resource: "/aws/db-app.tf:aws_db_instance.default"},
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("finding[0] (-want +got):\n%s", diff)
	}
	docker := rec.Observations[11].Finding
	if docker.RuleID != "CKV_DOCKER_3" || docker.Location.File != "/aws/resources/Dockerfile" || docker.Location.Line != 0 ||
		docker.Location.Resource != "/aws/resources/Dockerfile." ||
		!cmp.Equal(docker.References, []string{"https://docs.bridgecrew.io/docs/ensure-that-a-user-for-the-container-has-been-created"}) {
		t.Errorf("finding[11] %+v", docker)
	}
	if len(rec.Assets) != 1 {
		t.Errorf("%d assets", len(rec.Assets))
	}
}

func TestSeverity(t *testing.T) {
	rec := reporttest.ParseCorpus(t, checkov.New(), "checkov/checkov-report-severity.json")
	var got []model.Severity
	for _, o := range rec.Observations {
		got = append(got, o.Finding.Severity)
	}
	if diff := cmp.Diff([]model.Severity{model.SevMedium, model.SevMedium, model.SevLow, model.SevHigh}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rec.Observations[2].ToolSeverity != "LOW" {
		t.Errorf("tool severity %q", rec.Observations[2].ToolSeverity)
	}
}

func TestSummaryOnly(t *testing.T) {
	// A summary without results still covers the repository.
	rec := reporttest.ParseCorpus(t, checkov.New(), "checkov/checkov2-report-0-vuln.json")
	if len(rec.Observations) != 0 || len(rec.Assets) != 1 {
		t.Errorf("%d observations, %d assets", len(rec.Observations), len(rec.Assets))
	}
}
