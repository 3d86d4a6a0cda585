package scope

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctemhq/ctem/internal/model"
)

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("ctem.yaml", []byte(src), testNow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func host(name string, ips ...string) model.Asset {
	a := model.Asset{Kind: model.AssetHost, Name: name}
	for _, ip := range ips {
		a.Identifiers = append(a.Identifiers, model.Identifier{Kind: model.IDIPv4, Value: ip})
	}
	return a
}

const precedenceYAML = `
teams:
	- name: payments
	- name: platform
context_rules:
	- name: all-hosts
		when: asset.kind == "host"
		set:
			criticality: 2
			tags: {managed: "yes"}
	- name: payments-db
		when: glob(asset.name, "paydb*")
		set:
			criticality: 5
			owner: payments
			internet_exposed: false
			tags: {app: payments, managed: "no"}
	- name: sees-imported-asset-only
		when: asset.tags["app"] == "payments"
		set:
			owner: platform
			crown_jewel: true
	- name: exposed
		when: inCIDR(asset.ips, "10.0.0.0/24")
		set:
			internet_exposed: true
scopes:
	- name: payments
		assets: asset.tags["app"] == "payments"
		criticality: 4
		crown_jewel: true
	- name: dmz
		assets: asset.internet_exposed
		criticality: 3
	- name: critical
		assets: asset.criticality == 5
		exclude: asset.name == "paydb-test"
`

func TestResolvePrecedence(t *testing.T) {
	c := mustParse(t, yml(precedenceYAML))
	tests := []struct {
		name  string
		asset model.Asset
		want  AssetContext
	}{{
		name:  "first matching rule wins per attribute",
		asset: host("paydb01", "10.0.0.5"),
		want: AssetContext{
			Asset: model.Asset{Kind: "host", Name: "paydb01", Identifiers: []model.Identifier{{Kind: "ipv4", Value: "10.0.0.5"}},
				Criticality: 2, Owner: "payments", Tags: map[string]string{"managed": "yes", "app": "payments"}},
			// Rule 1 set criticality 2 before payments-db could set 5, so
			// the asset is not in "critical"; rules see the imported asset,
			// so sees-imported-asset-only does not fire on the app tag
			// payments-db set; payments-db's internet_exposed false beats
			// the later exposed rule.
			Scopes:     []string{"payments"},
			CrownJewel: true,
			Decisions: []Decision{
				{Attribute: "criticality", Value: "2", Source: SourceContextRule, Rule: "all-hosts", File: "ctem.yaml", Line: 5},
				{Attribute: "tags.managed", Value: "yes", Source: SourceContextRule, Rule: "all-hosts", File: "ctem.yaml", Line: 5},
				{Attribute: "internet_exposed", Value: "false", Source: SourceContextRule, Rule: "payments-db", File: "ctem.yaml", Line: 10},
				{Attribute: "owner", Value: "payments", Source: SourceContextRule, Rule: "payments-db", File: "ctem.yaml", Line: 10},
				{Attribute: "tags.app", Value: "payments", Source: SourceContextRule, Rule: "payments-db", File: "ctem.yaml", Line: 10},
				{Attribute: "crown_jewel", Value: "true", Source: SourceScope, Rule: "payments", File: "ctem.yaml", Line: 27},
			},
		},
	}, {
		name:  "scope criticality fills what no rule set; highest scope wins",
		asset: model.Asset{Kind: model.AssetImage, Name: "shop", Tags: map[string]string{"app": "payments"}, Criticality: 1, InternetExposed: true},
		want: AssetContext{
			Asset: model.Asset{Kind: "image", Name: "shop", Tags: map[string]string{"app": "payments"}, Criticality: 4,
				InternetExposed: true, Owner: "platform"},
			Scopes:     []string{"payments", "dmz"},
			CrownJewel: true,
			Decisions: []Decision{
				{Attribute: "crown_jewel", Value: "true", Source: SourceContextRule, Rule: "sees-imported-asset-only", File: "ctem.yaml", Line: 17},
				{Attribute: "owner", Value: "platform", Source: SourceContextRule, Rule: "sees-imported-asset-only", File: "ctem.yaml", Line: 17},
				{Attribute: "criticality", Value: "4", Source: SourceScope, Rule: "payments", File: "ctem.yaml", Line: 27},
			},
		},
	}, {
		name:  "nothing applies: the imported values stay",
		asset: model.Asset{Kind: model.AssetRepository, Name: "r", Criticality: 3},
		want:  AssetContext{Asset: model.Asset{Kind: "repository", Name: "r", Criticality: 3}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Resolve(tt.asset)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
			a, ds, err := c.ApplyContext(tt.asset)
			if err != nil || !cmp.Equal(a, got.Asset, cmpopts.EquateEmpty()) || !cmp.Equal(ds, got.Decisions, cmpopts.EquateEmpty()) {
				t.Errorf("ApplyContext differs from Resolve")
			}
		})
	}
	// Resolve must not write through to the caller's tags.
	in := model.Asset{Kind: model.AssetHost, Name: "x", Tags: map[string]string{"a": "b"}}
	c.Resolve(in)
	if diff := cmp.Diff(map[string]string{"a": "b"}, in.Tags); diff != "" {
		t.Errorf("input tags changed:\n%s", diff)
	}
}

func TestDecisionString(t *testing.T) {
	d := Decision{Attribute: "criticality", Value: "5", Source: SourceContextRule, Rule: "payments-db", File: "ctem.yaml", Line: 42}
	if got, want := d.String(), `criticality 5 from rule "payments-db" in ctem.yaml line 42`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	d.Source, d.Rule = SourceScope, "payments"
	if got, want := d.String(), `criticality 5 from scope "payments" in ctem.yaml line 42`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

const membershipYAML = `
scopes:
	- name: prod
		assets: asset.tags["env"] == "prod"
		exclude: asset.tags["decommissioned"] == "true"
	- name: not-prod
		assets: asset.tags["env"] != "prod"
	- name: web
		assets: asset.kind == "web_application" || 443 in [1]
		findings: finding.severity in ["critical", "high"] && finding.location.port == 443
	- name: broken-exclude
		assets: "true"
		exclude: '{"ok": "x"}[asset.name] == "b"'
`

func TestMembership(t *testing.T) {
	c := mustParse(t, yml(membershipYAML))
	tests := []struct {
		name    string
		asset   model.Asset
		want    []string
		wantErr bool
	}{
		{"selected", model.Asset{Kind: "host", Name: "a", Tags: map[string]string{"env": "prod"}}, []string{"prod"}, true},
		{"untagged is not prod", model.Asset{Kind: "host", Name: "a"}, []string{"not-prod"}, true},
		{"excluded", model.Asset{Kind: "host", Name: "a", Tags: map[string]string{"env": "prod", "decommissioned": "true"}}, nil, true},
		{"exclusion that cannot be evaluated keeps the asset out", model.Asset{Kind: "web_application", Name: "b", Tags: map[string]string{"env": "dev"}}, []string{"not-prod", "web"}, true},
		{"exclusion false", model.Asset{Kind: "web_application", Name: "ok", Tags: map[string]string{"env": "dev"}}, []string{"not-prod", "web", "broken-exclude"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Membership(tt.asset)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Membership (-want +got):\n%s", diff)
			}
			// Every asset but "ok" fails broken-exclude: "ok" is the one key
			// the literal map has.
			var ee *EvalError
			if tt.wantErr != errors.As(err, &ee) || (ee != nil && ee.Field != "scopes[3].exclude") {
				t.Errorf("error = %v, want an exclude error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestFindingInScope(t *testing.T) {
	c := mustParse(t, yml(membershipYAML))
	web := model.Asset{Kind: "web_application", Name: "ok"}
	hostA := model.Asset{Kind: "host", Name: "a", Tags: map[string]string{"env": "prod"}}
	tls := model.Finding{Kind: model.KindWebWeakness, Severity: model.SevHigh, Location: model.Location{Port: 443}}
	low := model.Finding{Kind: model.KindWebWeakness, Severity: model.SevLow, Location: model.Location{Port: 443}}
	tests := []struct {
		scope string
		a     model.Asset
		f     model.Finding
		want  bool
	}{
		{"web", web, tls, true},
		{"web", web, low, false},   // the findings selector narrows
		{"web", hostA, tls, false}, // not a member
		{"prod", hostA, low, true}, // no findings selector: every finding
		{"prod", web, low, false},
	}
	for _, tt := range tests {
		got, err := c.FindingInScope(tt.scope, tt.a, tt.f)
		if err != nil || got != tt.want {
			t.Errorf("FindingInScope(%s, %s, %s) = %v, %v; want %v", tt.scope, tt.a.Name, tt.f.Severity, got, err, tt.want)
		}
	}
	if _, err := c.FindingInScope("nope", web, tls); err == nil {
		t.Error("unknown scope: want an error")
	}
	got, err := c.FindingScopes(web, tls)
	if diff := cmp.Diff([]string{"not-prod", "web", "broken-exclude"}, got); diff != "" || err != nil {
		t.Errorf("FindingScopes: %v (-want +got):\n%s", err, diff)
	}
}

const ownersYAML = `
teams:
	- name: payments
	- name: platform
	- name: appsec
scopes:
	- name: payments
		assets: asset.tags["app"] == "payments"
owners:
	- name: secrets
		when: finding.kind == "secret"
		team: appsec
	- name: payments-scope
		when: '"payments" in scopes'
		team: payments
	- name: packages
		when: finding.component.ecosystem == "npm"
		team: platform
`

func TestOwnerOf(t *testing.T) {
	c := mustParse(t, yml(ownersYAML))
	pay := model.Asset{Kind: "host", Name: "p", Tags: map[string]string{"app": "payments"}}
	other := model.Asset{Kind: "host", Name: "o"}
	tests := []struct {
		name       string
		a          model.Asset
		f          *model.Finding
		team, rule string
	}{
		{"first match wins", pay, &model.Finding{Kind: model.KindSecret}, "appsec", "secrets"},
		{"scopes are visible", pay, &model.Finding{Kind: model.KindVulnerability}, "payments", "payments-scope"},
		{"asset only", pay, nil, "payments", "payments-scope"},
		{"finding fields", other, &model.Finding{Component: model.Component{Ecosystem: "npm"}}, "platform", "packages"},
		{"asset owner naming a team", model.Asset{Kind: "host", Owner: "platform"}, nil, "platform", "asset.owner"},
		{"asset owner that is no team", model.Asset{Kind: "host", Owner: "bob"}, nil, "", ""},
		{"nobody", other, nil, "", ""},
	}
	for _, tt := range tests {
		team, rule, err := c.OwnerOf(tt.a, tt.f)
		if err != nil || team != tt.team || rule != tt.rule {
			t.Errorf("%s: OwnerOf = %q, %q, %v; want %q, %q", tt.name, team, rule, err, tt.team, tt.rule)
		}
	}
}

const controlsYAML = `
teams:
	- name: platform
scopes:
	- name: edge
		assets: asset.internet_exposed
controls:
	- name: waf
		kind: waf
		applies_to: '"edge" in scopes'
		findings: 79 in finding.cwes
		effect: reduces_impact
		owner: platform
		expires: 2026-06-30
	- name: edr
		kind: edr
		applies_to: asset.kind == "host"
		effect: detect_only
		owner: secops@example.com
	- name: segmentation
		kind: segmentation
		applies_to: asset.kind == "host"
		effect: removes_internet_exposure
		expires: 2026-12-01T09:30:00Z
	- name: feature-off
		kind: feature_disabled
		applies_to: asset.kind == "host"
		findings: finding.vuln_id == "CVE-2021-44228"
		effect: removes_precondition
		expires: 2020-01-01
`

func names(ks []Control) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}

func TestControls(t *testing.T) {
	c := mustParse(t, yml(controlsYAML))
	day := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	edge := model.Asset{Kind: "host", Name: "h", InternetExposed: true}
	xss := &model.Finding{CWEs: []int{79}}
	log4j := &model.Finding{VulnID: "CVE-2021-44228", CWEs: []int{79}}
	tests := []struct {
		name string
		a    model.Asset
		f    *model.Finding
		now  string
		want []string
	}{
		{"all active", edge, xss, "2026-06-30T23:59:59Z", []string{"waf", "edr", "segmentation"}},
		{"a date lasts the whole day", edge, xss, "2026-06-30T00:00:00Z", []string{"waf", "edr", "segmentation"}},
		{"expired the day after", edge, xss, "2026-07-01T00:00:00Z", []string{"edr", "segmentation"}},
		{"an instant expires at that instant", edge, xss, "2026-12-01T09:30:00Z", []string{"edr"}},
		{"findings selector", edge, &model.Finding{CWEs: []int{89}}, "2026-01-01T00:00:00Z", []string{"edr", "segmentation"}},
		{"asset only: controls with a findings selector do not apply", edge, nil, "2026-01-01T00:00:00Z", []string{"edr", "segmentation"}},
		{"applies_to", model.Asset{Kind: "image"}, xss, "2026-01-01T00:00:00Z", nil},
		{"expired long ago", edge, log4j, "2026-01-01T00:00:00Z", []string{"waf", "edr", "segmentation"}},
	}
	for _, tt := range tests {
		got, err := c.ControlsFor(tt.a, tt.f, day(tt.now))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, names(got)); diff != "" {
			t.Errorf("%s: ControlsFor (-want +got):\n%s", tt.name, diff)
		}
	}
	now := day("2026-07-15T00:00:00Z")
	if diff := cmp.Diff([]string{"edr", "segmentation"}, names(c.ActiveControls(now))); diff != "" {
		t.Errorf("ActiveControls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"waf", "feature-off"}, names(c.ExpiredControls(now))); diff != "" {
		t.Errorf("ExpiredControls (-want +got):\n%s", diff)
	}
	// At load time (testNow, 2026-11-01) two controls had expired.
	want := []Problem{
		{File: "ctem.yaml", Line: 13, Column: 14, Field: "controls[0].expires", Message: `control "waf" expired (expires: 2026-06-30) and no longer applies; renew or remove it`},
		{File: "ctem.yaml", Line: 29, Column: 14, Field: "controls[3].expires", Message: `control "feature-off" expired (expires: 2020-01-01) and no longer applies; renew or remove it`},
	}
	if diff := cmp.Diff(want, c.Warnings()); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}

func TestSLAFor(t *testing.T) {
	c := mustParse(t, yml(`
	sla: {P1: 7, P2: 30}
	scopes:
		- {name: pci, assets: "true", sla: {P1: 3, P2: 60}}
		- {name: strict, assets: "true", sla: {P1: 1}}
	`))
	tests := []struct {
		band   string
		scopes []string
		days   int
		from   string
	}{
		{"P1", nil, 7, "sla"},
		{"P1", []string{"pci"}, 3, "scope pci"},
		{"P1", []string{"pci", "strict"}, 1, "scope strict"},
		{"P2", []string{"pci"}, 60, "scope pci"}, // looser than the organization: risk tolerance
		{"P2", []string{"strict"}, 30, "sla"},
		{"P3", []string{"pci"}, 0, ""},
	}
	for _, tt := range tests {
		days, from := c.SLAFor(tt.band, tt.scopes)
		if days != tt.days || from != tt.from {
			t.Errorf("SLAFor(%s, %v) = %d, %q; want %d, %q", tt.band, tt.scopes, days, from, tt.days, tt.from)
		}
	}
}

func TestControlVerified(t *testing.T) {
	c := mustParse(t, yml(`
	controls:
		- {name: a, kind: edr, applies_to: "true", effect: detect_only, verified: 2026-10-01}
		- {name: b, kind: edr, applies_to: "true", effect: detect_only, verified: "2027-01-01T00:00:00Z"}
	`))
	ks := c.Controls()
	if want := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC); !ks[0].Verified.Equal(want) || !ks[0].Expires.IsZero() {
		t.Errorf("verified %v, expires %v", ks[0].Verified, ks[0].Expires)
	}
	want := []Problem{{File: "ctem.yaml", Line: 3, Column: 77, Field: "controls[1].verified",
		Message: `control "b" is marked verified in the future (2027-01-01T00:00:00Z)`}}
	if diff := cmp.Diff(want, c.Warnings()); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}

func TestWhy(t *testing.T) {
	c := mustParse(t, yml(precedenceYAML))
	r, err := c.Resolve(host("paydb01"))
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := r.Why("owner"); !ok || d.String() != `owner payments from rule "payments-db" in ctem.yaml line 10` {
		t.Errorf("Why(owner) = %v, %v", d, ok)
	}
	if _, ok := r.Why("tags.nope"); ok {
		t.Error("Why(tags.nope): want no decision")
	}
}
