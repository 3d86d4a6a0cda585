package scope

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// problems parses src and returns its problems as file:line:col strings.
func problems(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("ctem.yaml", []byte(src), testNow)
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error is %T, not *ValidationError: %v", err, err)
	}
	if got, want := ve.Error(), strings.Join(lines(ve), "\n"); got != want {
		t.Errorf("Error() is not one line per problem:\n%s", got)
	}
	return lines(ve)
}

func lines(ve *ValidationError) []string {
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return out
}

// yml turns the tab-indented literals of these tests into YAML (tabs are
// not YAML indentation): it removes the common leading tabs and makes each
// remaining tab two spaces, so sources can be indented with the code.
func yml(s string) string {
	ls := strings.Split(strings.TrimPrefix(s, "\n"), "\n")
	common := -1
	for _, l := range ls {
		if strings.TrimSpace(l) != "" {
			n := len(l) - len(strings.TrimLeft(l, "\t"))
			if common < 0 || n < common {
				common = n
			}
		}
	}
	var b strings.Builder
	for _, l := range ls {
		l = strings.TrimPrefix(l, strings.Repeat("\t", max(common, 0)))
		if strings.TrimSpace(l) == "" {
			l = ""
		}
		b.WriteString(strings.ReplaceAll(l, "\t", "  ") + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty file is valid", "", nil},
		{"only comments is valid", "# nothing yet\n", nil},
		{"cli keys stay valid", yml(`
		database: /var/lib/ctem/ctem.db
		server:
			listen: ":8080"
		log:
			format: json
			level: warning
		`), nil},
		{"unknown keys", yml(`
		databse: x
		scopes:
			- name: a
				assets: "true"
				critcality: 3
				colour: red
		`), []string{
			`ctem.yaml:1:1: databse: unknown key "databse"; did you mean "database"?`,
			`ctem.yaml:5:5: scopes[0].critcality: unknown key "critcality"; did you mean "criticality"?`,
			`ctem.yaml:6:5: scopes[0].colour: unknown key "colour"; expected one of: name, description, assets, findings, exclude, criticality, crown_jewel, regulatory, sla`,
		}},
		{"wrong types", yml(`
		version: one
		server: ":8080"
		scopes:
			name: a
		context_rules:
			- name: 7
				when: "true"
				set:
					criticality: high
					internet_exposed: "yes"
					tags: {pci: true, env: [prod]}
		`), []string{
			`ctem.yaml:1:10: version: expected an integer, found the string "one"`,
			`ctem.yaml:2:9: server: expected a mapping, found the string ":8080"`,
			`ctem.yaml:4:3: scopes: expected a list, found a mapping`,
			`ctem.yaml:6:11: context_rules[0].name: expected a string (quote the value), found the integer 7`,
			`ctem.yaml:9:20: context_rules[0].set.criticality: expected an integer, found the string "high"`,
			`ctem.yaml:10:25: context_rules[0].set.internet_exposed: expected true or false, found the string "yes"`,
			`ctem.yaml:11:19: context_rules[0].set.tags.pci: expected a string (quote the value), found the boolean true`,
			`ctem.yaml:11:30: context_rules[0].set.tags.env: expected a string, found a list`,
		}},
		{"missing required keys", yml(`
		scopes:
			- name: a
				description: no selector
			- assets: "true"
		controls:
			- name: waf
				applies_to: "true"
		teams:
			- name: t
				tracker: {project: PAY}
		owners:
			- name: ""
				when: "true"
				team: t
		`), []string{
			`ctem.yaml:2:5: scopes[0].assets: missing required key "assets"`,
			`ctem.yaml:4:5: scopes[1].name: missing required key "name"`,
			`ctem.yaml:6:5: controls[0].kind: missing required key "kind"`,
			`ctem.yaml:6:5: controls[0].effect: missing required key "effect"`,
			`ctem.yaml:10:14: teams[0].tracker.kind: missing required key "kind"`,
			`ctem.yaml:12:11: owners[0].name: must not be empty`,
		}},
		{"enums and ranges", yml(`
		version: 2
		log: {format: xml}
		sla: {P1: 0, P5: 3}
		scopes:
			- name: a
				assets: "true"
				criticality: 6
				regulatory: [pci-dss, pcidss, x-own, x-]
				sla: {P2: 4000}
		controls:
			- name: c
				kind: firewall
				applies_to: "true"
				effect: removes_everything
		`), []string{
			`ctem.yaml:1:10: version: expected 1, found 2`,
			`ctem.yaml:2:15: log.format: expected one of text, json, found "xml"`,
			`ctem.yaml:3:11: sla.P1: expected days to fix from 1 to 3650, found 0`,
			`ctem.yaml:3:14: sla.P5: unknown key "P5"; did you mean "P1"?`,
			`ctem.yaml:7:18: scopes[0].criticality: expected an integer from 1 (low) to 5 (business critical), found 6`,
			`ctem.yaml:8:27: scopes[0].regulatory[1]: unknown regulatory tag "pcidss"; expected one of ` + strings.Join(regulatoryTags, ", ") + `, or x-<name> for your own`,
			`ctem.yaml:8:42: scopes[0].regulatory[3]: unknown regulatory tag "x-"; expected one of ` + strings.Join(regulatoryTags, ", ") + `, or x-<name> for your own`,
			`ctem.yaml:9:15: scopes[0].sla.P2: expected days to fix from 1 to 3650, found 4000`,
			`ctem.yaml:12:11: controls[0].kind: expected one of waf, edr, segmentation, feature_disabled, other, found "firewall"`,
			`ctem.yaml:14:13: controls[0].effect: expected one of removes_internet_exposure, reduces_impact, removes_precondition, detect_only, found "removes_everything"`,
		}},
		{"names", yml(`
		scopes:
			- {name: a, assets: "true"}
			- {name: a, assets: "true"}
			- {name: "has space", assets: "true"}
		zones:
			- {name: internet, cidrs: [10.0.0.0/8]}
		`), []string{
			`ctem.yaml:3:12: scopes[1].name: duplicate scope name "a"`,
			`ctem.yaml:4:12: scopes[2].name: scope name "has space": expected ` + nameRule,
			`ctem.yaml:6:12: zones[0].name: "internet" is the built-in zone for everything outside; choose another name`,
		}},
		{"bad CIDRs and zones", yml(`
		zones:
			- name: dmz
				cidrs: [10.0.0.0/24, 10.0.0.0/33, 10.1.2.3/16, not-an-ip, 192.168.1.1, "2001:db8::/32"]
			- name: empty
			- name: cloud
				vpcs: ["vpc 1"]
		`), []string{
			`ctem.yaml:3:26: zones[0].cidrs[1]: expected a CIDR such as 10.20.0.0/16 or an IP address, found "10.0.0.0/33"`,
			`ctem.yaml:3:39: zones[0].cidrs[2]: "10.1.2.3/16" has host bits set; did you mean "10.1.0.0/16"?`,
			`ctem.yaml:3:52: zones[0].cidrs[3]: expected a CIDR such as 10.20.0.0/16 or an IP address, found "not-an-ip"`,
			`ctem.yaml:4:5: zones[1]: zone "empty" holds nothing; expected at least one of cidrs, vpcs, subnets`,
			`ctem.yaml:6:12: zones[2].vpcs[0]: expected a cloud network id such as vpc-0a1b2c3d, found "vpc 1"`,
		}},
		{"flows", yml(`
		zones:
			- {name: dmz, cidrs: [10.0.0.0/24]}
		flows:
			- from: internet
				to: dmz
				ports: [tcp/443, udp, any, icmp, tcp/1-1024]
			- from: dmz
				to: pci
				ports: [tcp/0, tcp/80-22, http/80, icmp/8, tcp/70000, any/80]
			- from: nowhere
				to: dmz
		`), []string{
			`ctem.yaml:8:9: flows[1].to: unknown zone "pci"; expected internet or a zone declared under zones (known: dmz)`,
			`ctem.yaml:9:13: flows[1].ports[0]: "tcp/0": ports run from 1 to 65535`,
			`ctem.yaml:9:20: flows[1].ports[1]: "tcp/80-22": the range runs backwards; write tcp/22-80`,
			`ctem.yaml:9:31: flows[1].ports[2]: "http/80": expected "any", a protocol (tcp, udp, icmp), or protocol/port or protocol/low-high such as tcp/443 or tcp/8000-8100`,
			`ctem.yaml:9:40: flows[1].ports[3]: "icmp/8": icmp has no ports`,
			`ctem.yaml:9:48: flows[1].ports[4]: "tcp/70000": ports run from 1 to 65535`,
			`ctem.yaml:9:59: flows[1].ports[5]: "any/80": expected "any", a protocol (tcp, udp, icmp), or protocol/port or protocol/low-high such as tcp/443 or tcp/8000-8100`,
			`ctem.yaml:10:5: flows[2].ports: missing required key "ports"`,
			`ctem.yaml:10:11: flows[2].from: unknown zone "nowhere"; expected internet or a zone declared under zones (known: dmz)`,
		}},
		{"bad dates", yml(`
		controls:
			- {name: a, kind: waf, applies_to: "true", effect: detect_only, expires: 2026-02-30}
			- {name: b, kind: waf, applies_to: "true", effect: detect_only, expires: "next tuesday"}
			- {name: c, kind: waf, applies_to: "true", effect: detect_only, expires: 2027-01-01T00:00:00+02:00}
			- {name: d, kind: waf, applies_to: "true", effect: detect_only, expires: [2027]}
		`), []string{
			`ctem.yaml:2:76: controls[0].expires: expected a date such as 2026-06-30 or an RFC 3339 time such as 2026-06-30T18:00:00Z, found the string "2026-02-30"`,
			`ctem.yaml:3:76: controls[1].expires: expected a date such as 2026-06-30 or an RFC 3339 time such as 2026-06-30T18:00:00Z, found the string "next tuesday"`,
			`ctem.yaml:5:76: controls[3].expires: expected a date such as 2026-06-30 or an RFC 3339 time such as 2026-06-30T18:00:00Z, found a list`,
		}},
		{"unknown team references", yml(`
		teams:
			- name: payments
		context_rules:
			- name: r
				when: "true"
				set: {owner: paymnets}
		controls:
			- {name: c, kind: edr, applies_to: "true", effect: detect_only, owner: secops}
			- {name: d, kind: edr, applies_to: "true", effect: detect_only, owner: secops@example.com}
			- {name: e, kind: edr, applies_to: "true", effect: detect_only, owner: payments}
		owners:
			- {name: o, when: "true", team: ghost}
		`), []string{
			`ctem.yaml:6:18: context_rules[0].set.owner: unknown team "paymnets"; declare it under teams (known: payments)`,
			`ctem.yaml:8:74: controls[0].owner: expected a team declared under teams or an email address, found "secops"`,
			`ctem.yaml:12:35: owners[0].team: unknown team "ghost"; declare it under teams (known: payments)`,
		}},
		{"teams", yml(`
		teams:
			- name: a
				members: [alice@example.com, "Bob <bob@example.com>", alice@example.com, not-mail]
				contact: ftp://example.com
				tracker: {kind: jira, project: pay, repository: acme/x}
				notify: {slack: "general", email: nope, webhook: "example.com/hook"}
			- name: b
				tracker: {kind: github, repository: "acme"}
				notify: {slack: "https://hooks.slack.com/services/T/B/X"}
			- name: c
				tracker: {kind: servicenow}
			- name: d
				tracker: {kind: gitlab, project: x}
		`), []string{
			`ctem.yaml:3:34: teams[0].members[1]: expected an email address such as alice@example.com, found "Bob <bob@example.com>"`,
			`ctem.yaml:3:59: teams[0].members[2]: duplicate member "alice@example.com"`,
			`ctem.yaml:3:78: teams[0].members[3]: expected an email address such as alice@example.com, found "not-mail"`,
			`ctem.yaml:4:14: teams[0].contact: expected an email address or an http(s) URL, found "ftp://example.com"`,
			`ctem.yaml:5:36: teams[0].tracker.project: expected a Jira project key such as PAY (upper-case letters and digits), found "pay"`,
			`ctem.yaml:5:53: teams[0].tracker.repository: a jira tracker takes project, not repository`,
			`ctem.yaml:6:21: teams[0].notify.slack: expected a #channel or an https webhook URL, found "general"`,
			`ctem.yaml:6:39: teams[0].notify.email: expected an email address, found "nope"`,
			`ctem.yaml:6:54: teams[0].notify.webhook: expected an http(s) URL, found "example.com/hook"`,
			`ctem.yaml:8:41: teams[1].tracker.repository: expected owner/name such as acme/payments, found "acme"`,
			`ctem.yaml:11:14: teams[2].tracker: a servicenow tracker needs assignment_group`,
			`ctem.yaml:13:21: teams[3].tracker.kind: expected one of jira, github, servicenow, found "gitlab"`,
		}},
		{"context rule that sets nothing", yml(`
		context_rules:
			- name: r
				when: "true"
				set: {}
			- name: s
				when: "true"
				set: {criticality: 0, tags: {"": x}}
		`), []string{
			`ctem.yaml:4:10: context_rules[0].set: sets nothing; expected at least one of tags, criticality, internet_exposed, crown_jewel, owner`,
			`ctem.yaml:7:24: context_rules[1].set.criticality: expected an integer from 1 (low) to 5 (business critical), found 0`,
			`ctem.yaml:7:33: context_rules[1].set.tags: tag names must not be empty`,
		}},
		{"duplicate keys", yml(`
		database: a
		database: b
		scopes:
			- name: a
				assets: "true"
				name: b
		`), []string{
			`ctem.yaml:2:1: database: duplicate key "database" (first at line 1)`,
			`ctem.yaml:6:5: scopes[0].name: duplicate key "name" (first at line 4)`,
		}},
		{"anchors work, merge keys do not", yml(`
		teams:
			- name: a
				notify: &n {email: a@example.com}
			- name: b
				notify: *n
			- name: c
				notify:
					<<: *n
		`), []string{
			`ctem.yaml:8:7: teams[2].notify.<<: YAML merge keys (<<) are not supported; write the keys out`,
		}},
		{"not YAML", "scopes: [\n", []string{
			`ctem.yaml:2:1: not valid YAML: did not find expected node content`,
		}},
		{"two documents", "database: a\n---\ndatabase: b\n", []string{
			`ctem.yaml:2:1: not valid YAML: the file holds more than one YAML document (---); ctem.yaml is one`,
		}},
		{"top level is not a mapping", "- a\n", []string{
			`ctem.yaml:1:1: expected a mapping, found a list`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, problems(t, tt.src)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
