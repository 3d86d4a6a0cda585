package wizcliiac_test

import (
	"strings"
	"testing"

	wizcliiac "github.com/ctemhq/ctem/internal/discover/formats/wizcli_iac"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, wizcliiac.New(), "wizcli_iac/wizcli_iac_many_vul.json")
	for i, want := range []struct {
		title, rule, file string
		line              int
		sev               model.Severity
	}{
		{"Apk Add Using Local Cache Path", "4ac84116-456f-4d60-9e12-187607266faf", "Dockerfile", 8, model.SevInfo},
		{"Healthcheck Instruction Missing", "ab1043e3-1eeb-4e38-9ca9-7ec0e99fe2ba", "Dockerfile", 58, model.SevLow},
	} {
		o := rec.Observations[i]
		if o.Finding.Title != want.title || o.Finding.RuleID != want.rule || o.ToolID != want.rule || o.Finding.Severity != want.sev ||
			o.Finding.Location.File != want.file || o.Finding.Location.Line != want.line || o.Finding.Kind != model.KindMisconfiguration {
			t.Errorf("finding[%d] = %+v", i, o.Finding)
		}
		if !strings.HasPrefix(o.Finding.Location.Resource, "FROM={{registry.gitlab.com/evilorg.com") || o.Anchor == "" {
			t.Errorf("finding[%d] resource %q anchor %q", i, o.Finding.Location.Resource, o.Anchor)
		}
	}
	kinds := map[model.FindingKind]int{}
	for _, o := range rec.Observations {
		kinds[o.Finding.Kind]++
	}
	if kinds[model.KindMisconfiguration] != 9 || kinds[model.KindSecret] != 16 {
		t.Errorf("kinds = %v, want 9 rule matches and 16 secrets", kinds)
	}
	// Anchors ignore line numbers: the same rule on the same resource and
	// content keeps its anchor when lines move.
	if rec.Observations[0].Anchor == rec.Observations[1].Anchor {
		t.Error("different matches share an anchor")
	}

	rec = reporttest.ParseCorpus(t, wizcliiac.New(), "wizcli_iac/wizcli_iac_one_vul.json")
	o := rec.Observations[0]
	if !strings.HasPrefix(o.Finding.Title, "Secret: Passwords And Secrets - Password in URL (postgres://postgres:-") ||
		o.Finding.Severity != model.SevHigh || o.Finding.Location.File != "docker-compose.yml" || o.Finding.Location.Line != 58 {
		t.Errorf("secret = %+v", o.Finding)
	}
	// The report only has the redacted form: nothing to hand on as Secret.
	if o.Secret != "" || !strings.Contains(o.Evidence, "REDACTED") {
		t.Errorf("secret %q evidence %q", o.Secret, o.Evidence)
	}
	if o.Asset.Kind != model.AssetRepository || len(o.Asset.Identifiers) != 0 {
		t.Errorf("asset = %+v", o.Asset)
	}
}

var fuzzSeeds = []string{
	`{"scanOriginResource":{"__typename":"CICDScanOriginIAC","name":"IAC scan"},"result":{"__typename":"CICDIACScanResult","ruleMatches":[{"rule":{"id":"r","name":"n"},"severity":"HIGH","matches":[{"resourceName":"res","fileName":"main.tf","lineNumber":3,"matchContent":"m","expected":"e","found":"f","remediationInstructions":"fix"}]}],"secrets":[]}}`,
}
