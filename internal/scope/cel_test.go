package scope

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/model"
)

func TestExpressionErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"plain", yml(`
		scopes:
			- name: a
				assets: asset.kind == "host" && asset.critcality > 3
		`), []string{
			`ctem.yaml:3:42: scopes[0].assets: invalid expression: undefined field 'critcality'`,
		}},
		{"single quoted", yml(`
		scopes:
			- name: a
				assets: '"x" in asset.tagz'
		`), []string{
			`ctem.yaml:3:26: scopes[0].assets: invalid expression: undefined field 'tagz'`,
		}},
		{"double quoted with escapes", yml(`
		scopes:
			- name: a
				assets: "asset.tags[\"env\"] == \"prod\" && asset.nme == \"x\""
		`), []string{
			`ctem.yaml:3:54: scopes[0].assets: invalid expression: undefined field 'nme'`,
		}},
		{"literal block, second line", yml(`
		scopes:
			- name: a
				assets: |
					asset.kind == "host"
						&& asset.ips.exists(ip, ip.startsWith(10))
		`), []string{
			`ctem.yaml:5:46: scopes[0].assets: invalid expression: found no matching overload for 'startsWith' applied to 'string.(int)'`,
		}},
		{"folded block falls back to the value", yml(`
		scopes:
			- name: a
				assets: >
					asset.kind == "host"
					&& asset.bogus
		`), []string{
			`ctem.yaml:3:13: scopes[0].assets: invalid expression: undefined field 'bogus'`,
		}},
		{"syntax error", yml(`
		context_rules:
			- name: r
				when: asset.kind == 
				set: {criticality: 3}
		`), []string{
			`ctem.yaml:3:24: context_rules[0].when: invalid expression: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`,
		}},
		{"not a bool", yml(`
		scopes:
			- name: a
				assets: asset.name
		`), []string{
			`ctem.yaml:3:13: scopes[0].assets: the expression must be true or false (bool), but it gives string`,
		}},
		{"type mismatch", yml(`
		scopes:
			- name: a
				assets: asset.criticality == "5"
		`), []string{
			`ctem.yaml:3:31: scopes[0].assets: invalid expression: found no matching overload for '_==_' applied to '(int, string)'`,
		}},
		{"variables depend on the place", yml(`
		scopes:
			- name: a
				assets: finding.severity == "high"
		context_rules:
			- name: r
				when: '"a" in scopes'
				set: {criticality: 3}
		owners:
			- name: o
				when: '"a" in scopes && finding.severity == "high" && now > timestamp("2020-01-01T00:00:00Z")'
				team: t
		teams:
			- name: t
		`), []string{
			`ctem.yaml:3:13: scopes[0].assets: invalid expression: undeclared reference to 'finding'`,
			`ctem.yaml:6:19: context_rules[0].when: invalid expression: undeclared reference to 'scopes'`,
		}},
		{"literal arguments are checked", yml(`
		scopes:
			- name: a
				assets: inCIDR(asset.ips, "10.0.0.0/33") || glob(asset.name, "[a-")
			- name: b
				assets: inCIDR(asset.ips, "10.1.0.0/8")
		`), []string{
			`ctem.yaml:3:31: scopes[0].assets: invalid expression: "10.0.0.0/33" is not a CIDR such as 10.0.0.0/8`,
			`ctem.yaml:3:66: scopes[0].assets: invalid expression: "[a-" is not a valid glob pattern`,
			`ctem.yaml:5:31: scopes[1].assets: invalid expression: "10.1.0.0/8" has host bits set; did you mean "10.0.0.0/8"?`,
		}},
		{"a YAML boolean is an expression", yml(`
		scopes:
			- name: all
				assets: true
				exclude: false
		`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, problems(t, tt.src)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// match evaluates one asset selector against an asset.
func match(t *testing.T, expr string, a model.Asset) (bool, error) {
	t.Helper()
	src := "scopes:\n  - name: s\n    assets: '" + strings.ReplaceAll(expr, "'", "''") + "'\n"
	c, err := Parse("ctem.yaml", []byte(src), testNow)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	c = c.WithClock(func() time.Time { return testNow })
	got, err := c.Membership(a)
	return len(got) == 1, err
}

func TestExpressionSemantics(t *testing.T) {
	a := model.Asset{
		Kind: model.AssetHost, Name: "PayDB01",
		Identifiers: []model.Identifier{
			{Kind: model.IDHostname, Value: "paydb01"},
			{Kind: model.IDFQDN, Value: "paydb01.acme.example"},
			{Kind: model.IDIPv4, Value: "10.40.1.2"},
			{Kind: model.IDIPv6, Value: "2001:db8::7"},
			{Kind: model.IDARN, Value: "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"},
		},
		Tags:        map[string]string{"env": "prod", "empty": ""},
		Attributes:  map[string]string{"os": "Ubuntu 22.04"},
		Criticality: 3,
		FirstSeen:   testNow.Add(-48 * time.Hour),
	}
	tests := []struct {
		expr string
		want bool
	}{
		{`asset.tags["env"] == "prod"`, true},
		{`asset.tags.env == "prod"`, true},
		// A missing tag or attribute reads as "", so negations behave.
		{`asset.tags["team"] == ""`, true},
		{`asset.tags["team"] != "payments"`, true},
		{`asset.tags.team == ""`, true},
		{`asset.attributes["region"] == ""`, true},
		// Presence tests still tell absent from empty.
		{`has(asset.tags.team)`, false},
		{`has(asset.tags.empty)`, true},
		{`"team" in asset.tags`, false},
		{`"empty" in asset.tags`, true},
		{`asset.tags.exists(k, k == "env")`, true},
		{`asset.tags.exists(k, asset.tags[k] == "prod")`, true},
		{`["env", "team"].all(k, asset.tags[k] != "dev")`, true}, // inside macros too
		{`size(asset.tags) == 2`, true},
		{`asset.tags[?"team"].orValue("none") == "none"`, true},
		// Convenience lists.
		{`"paydb01" in asset.hostnames`, true},
		{`asset.fqdns == ["paydb01.acme.example"]`, true},
		{`asset.ips == ["10.40.1.2", "2001:db8::7"]`, true},
		{`asset.cloud_ids[0].startsWith("arn:aws:ec2")`, true},
		{`asset.identifiers.exists(i, i.kind == "ipv4" && i.value == "10.40.1.2")`, true},
		// Helpers.
		{`inCIDR(asset.ips, "10.40.0.0/16")`, true},
		{`inCIDR(asset.ips, "10.41.0.0/16")`, false},
		{`inCIDR(asset.ips, "2001:db8::/32")`, true},
		{`inCIDR(asset.name, "10.0.0.0/8")`, false},
		{`inCIDR("::ffff:10.40.1.2", "10.40.0.0/16")`, true},
		{`asset.ips.all(ip, isPrivateIP(ip))`, false}, // 2001:db8:: is documentation space, not private
		{`isPrivateIP("10.40.1.2") && isPrivateIP("fd00::1") && !isPrivateIP("8.8.8.8")`, true},
		{`glob(asset.name, "PayDB*")`, true},
		{`glob(asset.name, "paydb*")`, false},
		{`glob(asset.name.lowerAscii(), "paydb*")`, true},
		{`sets.intersects(asset.ips, ["10.40.1.2"])`, true},
		{`asset.attributes["os"].split(" ")[0] == "Ubuntu"`, true},
		// Time.
		{`now - asset.first_seen < duration("72h")`, true},
		{`now - asset.first_seen < duration("24h")`, false},
		// An unknown time reads as the Unix epoch, as in protobuf.
		{`int(asset.last_seen) == 0`, true},
		{`asset.criticality >= 3 && !asset.internet_exposed && asset.owner == ""`, true},
		{`asset.zones == []`, true},
	}
	for _, tt := range tests {
		got, err := match(t, tt.expr, a)
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
}

func TestEvaluationErrors(t *testing.T) {
	a := model.Asset{Kind: model.AssetHost, Name: "h"}
	// A literal map keeps CEL's strict semantics: the lenient lookup is for
	// tags and attributes only.
	got, err := match(t, `{"a": "b"}["c"] == ""`, a)
	var ee *EvalError
	if got || !errors.As(err, &ee) || ee.Field != "scopes[0].assets" || ee.Name != "s" || ee.Line != 2 {
		t.Fatalf("got %v, %#v", got, err)
	}
	if want := `ctem.yaml:2: scopes[0].assets (s): no such key: c`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCostLimit(t *testing.T) {
	a := model.Asset{Kind: model.AssetHost, Name: "lb"}
	for i := range 1000 {
		a.Identifiers = append(a.Identifiers, model.Identifier{Kind: model.IDIPv4, Value: fmt.Sprintf("10.0.%d.%d", i/256, i%256)})
	}
	// One pass over 1000 addresses is cheap; every pair is a million steps.
	if ok, err := match(t, `asset.ips.exists(ip, ip == "10.0.3.231")`, a); !ok || err != nil {
		t.Fatalf("linear selector: %v, %v", ok, err)
	}
	ok, err := match(t, `asset.ips.all(x, asset.ips.all(y, x == y || x != y))`, a)
	var ee *EvalError
	if ok || !errors.As(err, &ee) || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("quadratic selector: want a cost-limit error, got %v, %v", ok, err)
	}
}
