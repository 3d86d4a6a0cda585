package gitleaks_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type got struct {
	Title    string
	Rule     string
	File     string
	Line     int
	Severity model.Severity
	Secret   string
	Anchor   string
	CWEs     []int
}

func summarize(o report.Observation) got {
	return got{
		Title: o.Finding.Title, Rule: o.Finding.RuleID, File: o.Finding.Location.File,
		Line: o.Finding.Location.Line, Severity: o.Finding.Severity, Secret: o.Secret,
		Anchor: o.Anchor, CWEs: o.Finding.CWEs,
	}
}

func TestContentV8(t *testing.T) {
	rec := parse(t, "gitleaks/gitleaks8_many.json")
	var all []got
	for _, o := range rec.Observations {
		all = append(all, summarize(o))
		if o.Finding.Kind != model.KindSecret {
			t.Errorf("kind %q", o.Finding.Kind)
		}
		if o.Secret != "" && (strings.Contains(o.Evidence, o.Secret) || strings.Contains(o.Finding.Title, o.Secret) || strings.Contains(o.Finding.Description, o.Secret)) {
			t.Errorf("secret leaks outside Secret: %+v", o)
		}
	}
	want := []got{
		{Title: "Hard Coded AWS", Rule: "aws-access-token", File: "/conf/aws.tf", Line: 2, Severity: model.SevCritical, Secret: "secretAWSsecret", CWEs: []int{798}},
		{Title: "Hard Coded RSA private key", Rule: "RSA-PK", File: "conf/rsa.pk", Line: 57, Severity: model.SevHigh, Secret: "-----BEGIN RSA PRIVATE KEY-----", CWEs: []int{798}},
		{Title: "Hard Coded Generic API Key", Rule: "generic-api-key", File: "tests/api.py", Line: 21, Severity: model.SevHigh, Secret: "dfjksdjfs3294dfjlsdaf213", CWEs: []int{798}},
	}
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	// The first finding was seen in two commits; the evidence names the first.
	if !strings.Contains(rec.Observations[0].Evidence, "74d53286c550630f80847d37f68aa3065554ac813544072ccd1278da71fafe31") {
		t.Errorf("evidence lacks the commit: %q", rec.Observations[0].Evidence)
	}
	if !strings.Contains(rec.Observations[2].Evidence, `apikey = "REDACTED"`) {
		t.Errorf("evidence should hold the masked match: %q", rec.Observations[2].Evidence)
	}
	if !strings.Contains(rec.Observations[1].Finding.Description, "tag1, tag2") {
		t.Errorf("tags missing: %q", rec.Observations[1].Finding.Description)
	}
}

func TestContentV7(t *testing.T) {
	rec := parse(t, "gitleaks/version_7.5.0.json")
	var all []got
	for _, o := range rec.Observations {
		g := summarize(o)
		g.Secret, g.CWEs = "", nil
		all = append(all, g)
		if strings.Contains(o.Evidence, "AKIAIOSFODNN7EXAMPLE") {
			t.Errorf("evidence holds the secret: %q", o.Evidence)
		}
	}
	want := []got{
		{Title: "Hard Coded AWS Access Key", Rule: "AWS Access Key", File: "dojo/unittests/scans/gitlab_secret_detection_report/gitlab_secret_detection_report_1_vuln.json", Line: 13, Severity: model.SevCritical},
		{Title: "Hard Coded Asymmetric Private Key", Rule: "Asymmetric Private Key", File: "dojo/unittests/scans/gitlab_secret_detection_report/gitlab_secret_detection_report_3_vuln.json", Line: 13, Severity: model.SevHigh},
		{Title: "Hard Coded AWS Access Key", Rule: "AWS Access Key", File: "dojo/unittests/scans/gitlab_secret_detection_report/gitlab_secret_detection_report_3_vuln.json", Line: 44, Severity: model.SevCritical},
		{Title: "Hard Coded AWS Access Key", Rule: "AWS Access Key", File: "dojo/unittests/tools/test_gitlab_secret_detection_report_parser.py", Line: 37, Severity: model.SevCritical},
	}
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if !strings.Contains(rec.Observations[0].Finding.Description, "AWS") {
		t.Errorf("tags missing: %q", rec.Observations[0].Finding.Description)
	}

	one := parse(t, "gitleaks/data_one.json")
	if d := cmp.Diff(got{Title: "Hard Coded Asymmetric Private Key", Rule: "Asymmetric Private Key", File: "cert-key.pem", Severity: model.SevHigh, Secret: "-----BEGIN PRIVATE KEY-----", CWEs: []int{798}}, summarize(one.Observations[0])); d != "" {
		t.Errorf("data_one (-want +got):\n%s", d)
	}
	if !strings.Contains(one.Observations[0].Finding.Description, "AsymmetricPrivateKey") {
		t.Errorf("tags missing: %q", one.Observations[0].Finding.Description)
	}

	red := parse(t, "gitleaks/redacted_data_many.json")
	for _, o := range red.Observations {
		if o.Secret != "" {
			t.Errorf("a redacted report yields no secret value, got %q", o.Secret)
		}
	}
}

func TestAnchorAndRepoURL(t *testing.T) {
	in := `[{"Description":"AWS","StartLine":3,"EndLine":4,"Match":"key=AKIAXXXXXXXXXXXXXXXX","Secret":"AKIAXXXXXXXXXXXXXXXX","File":"a/b.tf","Commit":"abc123","RuleID":"aws-access-token","Fingerprint":"abc123:a/b.tf:aws-access-token:3","Tags":[]}]`
	rec := parseString(t, in)
	o := rec.Observations[0]
	if o.Anchor != "a/b.tf:aws-access-token" {
		t.Errorf("anchor %q", o.Anchor)
	}
	if o.Finding.Location.EndLine != 4 {
		t.Errorf("end line %d", o.Finding.Location.EndLine)
	}
	if strings.Contains(o.Evidence, "AKIAXXXXXXXXXXXXXXXX") || !strings.Contains(o.Evidence, "key=REDACTED") {
		t.Errorf("evidence %q", o.Evidence)
	}

	v7 := `[{"line":"x","lineNumber":1,"offender":"s3cr3tvalue","commit":"c","repo":"r","repoURL":"https://github.com/o/r","leakURL":"https://github.com/o/r/blob/c/f#L1","rule":"Generic","commitMessage":"m","author":"a","email":"e","file":"f","date":"d","tags":"key"}]`
	rec = parseString(t, v7)
	want := []model.Identifier{{Kind: model.IDRepoURL, Value: "https://github.com/o/r"}}
	if d := cmp.Diff(want, rec.Assets[0].Identifiers); d != "" {
		t.Errorf("asset (-want +got):\n%s", d)
	}
	if rec.Assets[0].Kind != model.AssetRepository {
		t.Errorf("asset kind %q", rec.Assets[0].Kind)
	}
	if d := cmp.Diff([]string{"https://github.com/o/r/blob/c/f#L1"}, rec.Observations[0].Finding.References); d != "" {
		t.Errorf("references (-want +got):\n%s", d)
	}
	// The offender is not in the line text: the line is dropped, not shown.
	if strings.Contains(rec.Observations[0].Evidence, "match:") {
		t.Errorf("evidence %q", rec.Observations[0].Evidence)
	}
}
