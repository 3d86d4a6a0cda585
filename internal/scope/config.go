package scope

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v4"

	"github.com/ctemhq/ctem/internal/prioritize"
)

// Config is a loaded, validated ctem.yaml with its expressions compiled. It
// is immutable after Parse and safe for concurrent use.
type Config struct {
	File      string // the name the file was loaded under, used in problems and explanations
	Digest    string // sha256 of the file's bytes: re-materialize scope membership when it changes
	Database  string // database: DSN or SQLite path; "" when not set
	Listen    string // server.listen; "" when not set
	LogFormat string // log.format; "" when not set
	LogLevel  string // log.level; "" when not set
	SLA       SLA    // sla: organization-wide days to fix per band

	scopes   []Scope
	rules    []ContextRule
	zones    []Zone
	flows    []Flow
	controls []Control
	teams    []Team
	owners   []OwnerRule
	warnings []Problem
	policy   prioritize.Policy
	zoneIdx  zoneIndex
	clock    func() time.Time // what `now` reads in expressions
}

// SLA is days to fix per priority band; 0 means not set here.
type SLA struct {
	P1, P2, P3, P4 int
}

// Days returns the days for a band ("P1".."P4"), 0 when not set.
func (s SLA) Days(band string) int {
	switch band {
	case "P1":
		return s.P1
	case "P2":
		return s.P2
	case "P3":
		return s.P3
	case "P4":
		return s.P4
	}
	return 0
}

// Scope is a named part of the estate that matters, and how much.
type Scope struct {
	Name        string
	Description string
	Assets      string // selector over asset (CEL source)
	Findings    string // optional selector over asset and finding
	Exclude     string // optional: assets matching it are not members
	Criticality int    // 1..5, 0 when not set
	CrownJewel  bool
	Regulatory  []string // pci-dss, hipaa, ...
	SLA         SLA      // overrides of the organization-wide SLA
	Line        int      // where the scope starts in the file

	assets, findings, exclude *program
}

// ContextRule sets asset attributes when its condition holds.
type ContextRule struct {
	Name        string
	Description string
	When        string // condition over asset (CEL source)
	Set         ContextSet
	Line        int

	when *program
}

// ContextSet is what a context rule sets; nil and empty mean "leave alone".
type ContextSet struct {
	Tags            map[string]string
	Criticality     *int
	InternetExposed *bool
	CrownJewel      *bool
	Owner           string // a team name
}

// Zone is a named part of the network.
type Zone struct {
	Name        string
	Description string
	CIDRs       []string // canonical, e.g. 10.20.0.0/16
	VPCs        []string
	Subnets     []string
	CrownJewels bool // the zone holds crown jewels: a target for attack paths
	Line        int
}

// Control is a declared mitigation.
type Control struct {
	Name      string
	Kind      string // waf, edr, segmentation, feature_disabled, other
	AppliesTo string // selector over asset and scopes (CEL source)
	Findings  string // optional selector over asset, finding and scopes
	Effect    string // removes_internet_exposure, reduces_impact, removes_precondition, detect_only
	Evidence  string
	Owner     string    // a team name or an email address
	Verified  time.Time // when the evidence was last checked; zero: never said
	Expires   time.Time // the instant it stops applying; zero: never
	Line      int

	appliesTo, findings *program
}

// Expired reports whether the control no longer applies at now.
func (c Control) Expired(now time.Time) bool {
	return !c.Expires.IsZero() && !now.Before(c.Expires)
}

// Team is a group that fixes things.
type Team struct {
	Name        string
	Description string
	Members     []string // email addresses
	Contact     string   // an email address or a URL
	Tracker     Tracker
	Notify      Notify
	Line        int
}

// Tracker is where a team's tickets go. Kind is "" when the team has none.
type Tracker struct {
	Kind            string // jira, github, servicenow
	Project         string // jira
	Repository      string // github, owner/name
	AssignmentGroup string // servicenow
}

// Destination is the project, repository or assignment group.
func (t Tracker) Destination() string {
	return t.Project + t.Repository + t.AssignmentGroup
}

// Notify is where a team hears about new work; any may be empty.
type Notify struct {
	Slack   string // a #channel or a Slack webhook URL
	Email   string
	Webhook string // an http(s) URL
}

// OwnerRule assigns a team when its condition holds.
type OwnerRule struct {
	Name string
	When string // condition over asset, finding and scopes (CEL source)
	Team string
	Line int

	when *program
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return Parse(path, data, time.Now())
}

// Parse validates a configuration held in memory. name is used in problems
// and explanations; now decides which controls are reported as already
// expired (see Warnings). On a schema problem the error is a
// *ValidationError listing every problem found.
func Parse(name string, data []byte, now time.Time) (*Config, error) {
	d := newDecoder(name, data)
	var raw rawConfig
	root, err := loadYAML(data)
	if err != nil {
		var le *yaml.LoadError
		p := Problem{File: name, Message: "not valid YAML: " + err.Error()}
		if errors.As(err, &le) {
			p.Line, p.Column, p.Message = le.Mark.Line, le.Mark.Column, "not valid YAML: "+le.Message
		}
		return nil, &ValidationError{Problems: []Problem{p}}
	}
	if root != nil {
		d.decode(root, reflect.ValueOf(&raw).Elem(), "")
	}
	envs, err := newEnvs()
	if err != nil {
		return nil, fmt.Errorf("scope: building the expression environment: %w", err)
	}
	sum := sha256.Sum256(data)
	c := &Config{File: name, Digest: hex.EncodeToString(sum[:]), clock: time.Now}
	c.build(d, &raw, envs, now)
	if len(d.probs) > 0 {
		sortProblems(d.probs)
		return nil, &ValidationError{Problems: d.probs}
	}
	return c, nil
}

// loadYAML parses one YAML document; nil for a file with none (empty or
// only comments), which is a valid, empty configuration.
func loadYAML(data []byte) (*yaml.Node, error) {
	l, err := yaml.NewLoader(strings.NewReader(string(data)))
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := l.Load(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	if err := l.Load(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, &yaml.LoadError{Message: "the file holds more than one YAML document (---); ctem.yaml is one", Mark: yaml.Mark{Line: next.Line, Column: next.Column}}
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

var (
	// Names appear in CLI arguments, URLs and the database.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
	// GitHub owner/name.
	repoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	// Jira project keys.
	jiraRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,31}$`)
)

const nameRule = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters"

// Regulatory frameworks a scope may name. Others may be written with an x-
// prefix (x-internal-policy) so that typos in the common ones are caught.
var regulatoryTags = []string{
	"ccpa", "cmmc", "dora", "fedramp", "fisma", "gdpr", "glba", "hipaa", "hitrust",
	"iso27001", "nerc-cip", "nis2", "nist-800-171", "nist-800-53", "nist-csf",
	"pci-dss", "soc2", "sox", "swift-csp",
}

// RegulatoryTags lists the regulatory tags ctem knows.
func RegulatoryTags() []string { return slices.Clone(regulatoryTags) }

// build checks everything the schema walk cannot (ranges, formats,
// references, expressions) and fills the public types.
func (c *Config) build(d *decoder, r *rawConfig, envs [envKinds]*cel.Env, now time.Time) {
	if d.set("version") && r.Version != 1 {
		d.errorf("version", "expected 1, found %d", r.Version)
	}
	c.Database, c.Listen, c.LogFormat, c.LogLevel = r.Database, r.Server.Listen, r.Log.Format, r.Log.Level
	c.SLA = d.sla(r.SLA, "sla")
	c.policy = d.policy(r.Prioritization)

	teams := map[string]bool{}
	for i, t := range r.Teams {
		p := fmt.Sprintf("teams[%d]", i)
		d.uniqueName(teams, t.Name, p, "team")
		c.teams = append(c.teams, d.team(t, p))
	}
	ref := func(field, team string) {
		if team != "" && !teams[team] {
			d.errorf(field, "unknown team %q; declare it under teams (known: %s)", team, known(teams))
		}
	}

	zones := map[string]bool{}
	for i, z := range r.Zones {
		p := fmt.Sprintf("zones[%d]", i)
		if z.Name == InternetZone {
			d.errorf(p+".name", "%q is the built-in zone for everything outside; choose another name", InternetZone)
		}
		d.uniqueName(zones, z.Name, p, "zone")
		c.zones = append(c.zones, d.zone(z, p))
	}
	c.zoneIdx = newZoneIndex(c.zones)
	for i, f := range r.Flows {
		c.flows = append(c.flows, d.flow(f, fmt.Sprintf("flows[%d]", i), zones))
	}

	names := map[string]bool{}
	for i, s := range r.Scopes {
		p := fmt.Sprintf("scopes[%d]", i)
		d.uniqueName(names, s.Name, p, "scope")
		sc := Scope{
			Name: s.Name, Description: s.Description,
			Assets: s.Assets.Src, Findings: s.Findings.Src, Exclude: s.Exclude.Src,
			Criticality: s.Criticality, CrownJewel: s.CrownJewel,
			SLA:  d.sla(s.SLA, p+".sla"),
			Line: d.posOf(p).line,
		}
		d.criticality(p+".criticality", s.Criticality)
		for j, tag := range s.Regulatory {
			if !slices.Contains(regulatoryTags, tag) && !(strings.HasPrefix(tag, "x-") && len(tag) > 2) {
				d.errorf(fmt.Sprintf("%s.regulatory[%d]", p, j), "unknown regulatory tag %q; expected one of %s, or x-<name> for your own", tag, strings.Join(regulatoryTags, ", "))
			} else if !slices.Contains(sc.Regulatory, tag) {
				sc.Regulatory = append(sc.Regulatory, tag)
			}
		}
		sc.assets = d.compile(envs[envAsset], s.Assets, p+".assets")
		sc.exclude = d.compile(envs[envAsset], s.Exclude, p+".exclude")
		sc.findings = d.compile(envs[envFinding], s.Findings, p+".findings")
		c.scopes = append(c.scopes, sc)
	}

	names = map[string]bool{}
	for i, r := range r.ContextRules {
		p := fmt.Sprintf("context_rules[%d]", i)
		d.uniqueName(names, r.Name, p, "context rule")
		set := ContextSet{Tags: r.Set.Tags, Criticality: r.Set.Criticality, InternetExposed: r.Set.InternetExposed, CrownJewel: r.Set.CrownJewel, Owner: r.Set.Owner}
		if len(set.Tags) == 0 && set.Criticality == nil && set.InternetExposed == nil && set.CrownJewel == nil && set.Owner == "" {
			if d.set(p + ".set") {
				d.errorf(p+".set", "sets nothing; expected at least one of tags, criticality, internet_exposed, crown_jewel, owner")
			}
		}
		if set.Criticality != nil {
			d.criticality(p+".set.criticality", *set.Criticality)
		}
		for k := range set.Tags {
			if strings.TrimSpace(k) == "" {
				d.errorf(p+".set.tags", "tag names must not be empty")
			}
		}
		ref(p+".set.owner", set.Owner)
		c.rules = append(c.rules, ContextRule{
			Name: r.Name, Description: r.Description, When: r.When.Src, Set: set,
			Line: d.posOf(p).line,
			when: d.compile(envs[envAsset], r.When, p+".when"),
		})
	}

	names = map[string]bool{}
	for i, k := range r.Controls {
		p := fmt.Sprintf("controls[%d]", i)
		d.uniqueName(names, k.Name, p, "control")
		ctl := Control{
			Name: k.Name, Kind: k.Kind, AppliesTo: k.AppliesTo.Src, Findings: k.Findings.Src,
			Effect: k.Effect, Evidence: k.Evidence, Owner: k.Owner,
			Line:      d.posOf(p).line,
			appliesTo: d.compile(envs[envScopedAsset], k.AppliesTo, p+".applies_to"),
			findings:  d.compile(envs[envScopedFinding], k.Findings, p+".findings"),
		}
		ctl.Verified = k.Verified.T
		if ctl.Verified.After(now.Add(24 * time.Hour)) {
			pp := d.posOf(p + ".verified")
			c.warnings = append(c.warnings, Problem{File: d.file, Line: pp.line, Column: pp.col, Field: p + ".verified",
				Message: fmt.Sprintf("control %q is marked verified in the future (%s)", k.Name, k.Verified.Src)})
		}
		if !k.Expires.T.IsZero() {
			ctl.Expires = k.Expires.T
			if k.Expires.DayEnd {
				ctl.Expires = ctl.Expires.AddDate(0, 0, 1)
			}
		}
		if k.Owner != "" && !teams[k.Owner] && !isEmail(k.Owner) {
			d.errorf(p+".owner", "expected a team declared under teams or an email address, found %q", k.Owner)
		}
		if ctl.Expired(now) {
			pp := d.posOf(p + ".expires")
			c.warnings = append(c.warnings, Problem{File: d.file, Line: pp.line, Column: pp.col, Field: p + ".expires",
				Message: fmt.Sprintf("control %q expired (expires: %s) and no longer applies; renew or remove it", ctl.Name, k.Expires.Src)})
		}
		c.controls = append(c.controls, ctl)
	}

	names = map[string]bool{}
	for i, o := range r.Owners {
		p := fmt.Sprintf("owners[%d]", i)
		d.uniqueName(names, o.Name, p, "ownership rule")
		ref(p+".team", o.Team)
		c.owners = append(c.owners, OwnerRule{
			Name: o.Name, When: o.When.Src, Team: o.Team,
			Line: d.posOf(p).line,
			when: d.compile(envs[envScopedFinding], o.When, p+".when"),
		})
	}
}

func (d *decoder) uniqueName(seen map[string]bool, name, path, what string) {
	if name == "" {
		return // reported as missing by the schema walk
	}
	if !nameRE.MatchString(name) {
		d.errorf(path+".name", "%s name %q: expected %s", what, name, nameRule)
		return
	}
	if seen[name] {
		d.errorf(path+".name", "duplicate %s name %q", what, name)
		return
	}
	seen[name] = true
}

func (d *decoder) criticality(field string, v int) {
	if d.set(field) && (v < 1 || v > 5) {
		d.errorf(field, "expected an integer from 1 (low) to 5 (business critical), found %d", v)
	}
}

func (d *decoder) sla(r rawSLA, path string) SLA {
	var s SLA
	for _, b := range []struct {
		band string
		v    *int
		dst  *int
	}{{"P1", r.P1, &s.P1}, {"P2", r.P2, &s.P2}, {"P3", r.P3, &s.P3}, {"P4", r.P4, &s.P4}} {
		if b.v == nil {
			continue
		}
		if *b.v < 1 || *b.v > 3650 {
			d.errorf(path+"."+b.band, "expected days to fix from 1 to 3650, found %d", *b.v)
			continue
		}
		*b.dst = *b.v
	}
	return s
}

func (d *decoder) team(t rawTeam, p string) Team {
	team := Team{
		Name: t.Name, Description: t.Description, Contact: t.Contact,
		Tracker: Tracker(t.Tracker), Notify: Notify(t.Notify),
		Line: d.posOf(p).line,
	}
	for j, m := range t.Members {
		if !isEmail(m) {
			d.errorf(fmt.Sprintf("%s.members[%d]", p, j), "expected an email address such as alice@example.com, found %q", m)
		} else if slices.Contains(team.Members, m) {
			d.errorf(fmt.Sprintf("%s.members[%d]", p, j), "duplicate member %q", m)
		} else {
			team.Members = append(team.Members, m)
		}
	}
	if t.Contact != "" && !isEmail(t.Contact) && !isURL(t.Contact, "http", "https", "mailto") {
		d.errorf(p+".contact", "expected an email address or an http(s) URL, found %q", t.Contact)
	}
	tr, tp := t.Tracker, p+".tracker"
	dest := map[string]string{"jira": "project", "github": "repository", "servicenow": "assignment_group"}
	given := map[string]string{"project": tr.Project, "repository": tr.Repository, "assignment_group": tr.AssignmentGroup}
	if want, ok := dest[tr.Kind]; ok {
		if given[want] == "" {
			d.errorf(tp, "a %s tracker needs %s", tr.Kind, want)
		}
		for k, v := range given {
			if k != want && v != "" {
				d.errorf(tp+"."+k, "a %s tracker takes %s, not %s", tr.Kind, want, k)
			}
		}
	}
	switch {
	case tr.Kind == "jira" && tr.Project != "" && !jiraRE.MatchString(tr.Project):
		d.errorf(tp+".project", "expected a Jira project key such as PAY (upper-case letters and digits), found %q", tr.Project)
	case tr.Kind == "github" && tr.Repository != "" && !repoRE.MatchString(tr.Repository):
		d.errorf(tp+".repository", "expected owner/name such as acme/payments, found %q", tr.Repository)
	}
	n, np := t.Notify, p+".notify"
	if n.Slack != "" && !(strings.HasPrefix(n.Slack, "#") && len(n.Slack) > 1 && !strings.ContainsAny(n.Slack, " \t")) && !isURL(n.Slack, "https") {
		d.errorf(np+".slack", "expected a #channel or an https webhook URL, found %q", n.Slack)
	}
	if n.Email != "" && !isEmail(n.Email) {
		d.errorf(np+".email", "expected an email address, found %q", n.Email)
	}
	if n.Webhook != "" && !isURL(n.Webhook, "http", "https") {
		d.errorf(np+".webhook", "expected an http(s) URL, found %q", n.Webhook)
	}
	return team
}

// isEmail accepts a bare address (no display name, no angle brackets).
func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func isURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	if err != nil || !slices.Contains(schemes, u.Scheme) {
		return false
	}
	return u.Scheme == "mailto" || u.Host != ""
}

func known(m map[string]bool) string {
	if len(m) == 0 {
		return "none declared"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}

// Warnings lists things worth telling the user that do not stop the file
// from loading: controls that had already expired at load time, or that
// claim a verification date in the future.
func (c *Config) Warnings() []Problem { return slices.Clone(c.warnings) }

// Scopes returns the scopes in file order. Like every accessor here it
// returns copies of the top-level values; the slices and maps inside them
// are shared with the Config and must not be modified.
func (c *Config) Scopes() []Scope { return slices.Clone(c.scopes) }

// Scope returns one scope by name.
func (c *Config) Scope(name string) (Scope, bool) {
	i := slices.IndexFunc(c.scopes, func(s Scope) bool { return s.Name == name })
	if i < 0 {
		return Scope{}, false
	}
	return c.scopes[i], true
}

// ContextRules returns the asset context rules in file (= precedence) order.
func (c *Config) ContextRules() []ContextRule { return slices.Clone(c.rules) }

// Teams returns the teams in file order.
func (c *Config) Teams() []Team { return slices.Clone(c.teams) }

// Team returns one team by name.
func (c *Config) Team(name string) (Team, bool) {
	i := slices.IndexFunc(c.teams, func(t Team) bool { return t.Name == name })
	if i < 0 {
		return Team{}, false
	}
	return c.teams[i], true
}

// OwnerRules returns the ownership rules in file (= precedence) order.
func (c *Config) OwnerRules() []OwnerRule { return slices.Clone(c.owners) }

// Controls returns every declared control, expired or not, in file order.
func (c *Config) Controls() []Control { return slices.Clone(c.controls) }

// ActiveControls returns the controls that apply at now.
func (c *Config) ActiveControls(now time.Time) []Control {
	var out []Control
	for _, k := range c.controls {
		if !k.Expired(now) {
			out = append(out, k)
		}
	}
	return out
}

// ExpiredControls returns the controls that no longer apply at now, for
// reports: an expired control is a mitigation someone must renew or remove.
func (c *Config) ExpiredControls(now time.Time) []Control {
	var out []Control
	for _, k := range c.controls {
		if k.Expired(now) {
			out = append(out, k)
		}
	}
	return out
}
