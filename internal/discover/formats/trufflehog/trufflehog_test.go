package trufflehog_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type got struct {
	Rule     string
	File     string
	Line     int
	Severity model.Severity
	Secret   string
	CWEs     []int
}

func summarize(o report.Observation) got {
	return got{Rule: o.Finding.RuleID, File: o.Finding.Location.File, Line: o.Finding.Location.Line,
		Severity: o.Finding.Severity, Secret: o.Secret, CWEs: o.Finding.CWEs}
}

func TestV3Git(t *testing.T) {
	for _, file := range []string{"trufflehog/v3_git.json", "trufflehog/v3_github.json"} {
		t.Run(file, func(t *testing.T) {
			rec := parse(t, file)
			var all []got
			for _, o := range rec.Observations {
				g := summarize(o)
				if g.Rule == "PrivateKey" {
					if !strings.HasPrefix(g.Secret, "-----BEGIN OPENSSH PRIVATE KEY-----") {
						t.Errorf("private key not decoded: %.40q", g.Secret)
					}
					g.Secret = ""
				}
				all = append(all, g)
				if o.Secret != "" && (strings.Contains(o.Evidence, o.Secret) || strings.Contains(o.Finding.Description, o.Secret)) {
					t.Errorf("secret leaks outside Secret: %q", o.Evidence)
				}
			}
			want := []got{
				{Rule: "AWS", File: "keys", Line: 4, Severity: model.SevCritical, Secret: "AKIAYVP4CIPPERUVIFXG", CWEs: []int{798}},
				{Rule: "URI", File: "keys", Line: 3, Severity: model.SevCritical, Secret: "https://admin:admin@the-internet.herokuapp.com/basic_auth", CWEs: []int{798}},
				{Rule: "PrivateKey", File: "keys", Line: 1, Severity: model.SevCritical, CWEs: []int{798}},
			}
			if d := cmp.Diff(want, all); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if !strings.Contains(rec.Observations[0].Evidence, "arn: arn:aws:iam::595918472158:user/") {
				t.Errorf("extra data missing: %q", rec.Observations[0].Evidence)
			}
			a := rec.Assets[0]
			if a.Kind != model.AssetRepository || len(a.Identifiers) != 1 || a.Identifiers[0].Kind != model.IDRepoURL ||
				!strings.HasPrefix(a.Identifiers[0].Value, "https://github.com/trufflesecurity/test_keys") {
				t.Errorf("asset %+v", a)
			}
		})
	}
}

func TestV2(t *testing.T) {
	rec := parse(t, "trufflehog/v2_many_vulns.json")
	first := summarize(rec.Observations[0])
	first.Secret = ""
	if d := cmp.Diff(got{Rule: "Generic Secret", File: "test_all.py", Severity: model.SevMedium, CWEs: []int{798}}, first); d != "" {
		t.Errorf("first finding (-want +got):\n%s", d)
	}
	if !strings.Contains(rec.Observations[0].Evidence, "commits:") {
		t.Errorf("evidence %q", rec.Observations[0].Evidence)
	}
}

func TestV3Shapes(t *testing.T) {
	// Current releases write Raw as text, RawV2 for two-part credentials,
	// and other sources than git.
	in := `{"SourceMetadata":{"Data":{"Filesystem":{"file":"/src/app.env","line":7}}},"DetectorName":"Stripe","Verified":false,"Raw":"sk_live_abcdefghijklmnop","Redacted":"sk_live_****"}
{"SourceMetadata":{"Data":{"Docker":{"image":"registry.example.com/app:1.2","layer":"sha256:aa","file":"/etc/key"}}},"DetectorName":"AWS","Verified":true,"Raw":"AKIAEXAMPLEEXAMPLE12","RawV2":"AKIAEXAMPLEEXAMPLE12wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}
{"SourceMetadata":{"Data":{"Filesystem":{"file":"/src/app.env","line":9}}},"DetectorName":"Stripe","Verified":false,"Raw":"sk_live_abcdefghijklmnop"}
{"level":"info-0","ts":"2024-01-01T00:00:00Z","logger":"trufflehog","msg":"finished scanning","chunks":10}
`
	rec := parseString(t, in)
	if len(rec.Observations) != 2 {
		t.Fatalf("got %d findings, want 2 (the same secret twice in a file is one)", len(rec.Observations))
	}
	o := rec.Observations[0]
	if o.Secret != "sk_live_abcdefghijklmnop" || o.Finding.Severity != model.SevHigh || o.Finding.Location.File != "/src/app.env" {
		t.Errorf("filesystem finding %+v secret %q", o.Finding, o.Secret)
	}
	img := rec.Observations[1]
	if img.Asset.Kind != model.AssetImage || img.Asset.Identifiers[0] != (model.Identifier{Kind: model.IDImageRef, Value: "registry.example.com/app:1.2"}) {
		t.Errorf("docker asset %+v", img.Asset)
	}
	if img.Secret != "AKIAEXAMPLEEXAMPLE12wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY" {
		t.Errorf("RawV2 not used: %q", img.Secret)
	}
	if len(rec.Assets) != 2 {
		t.Errorf("assets %+v", rec.Assets)
	}
}
