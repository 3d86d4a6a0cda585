package scope

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/ctemhq/ctem/internal/model"
)

// Decision explains where one asset attribute came from.
type Decision struct {
	Attribute string `json:"attribute"` // criticality, internet_exposed, owner, crown_jewel, tags.<name>
	Value     string `json:"value"`
	Source    string `json:"source"` // "context_rule" or "scope"
	Rule      string `json:"rule"`   // the rule's or scope's name
	File      string `json:"file"`
	Line      int    `json:"line"`
}

// String reads as: criticality 5 from rule "payments-db" in ctem.yaml line 42.
func (d Decision) String() string {
	what := "rule"
	if d.Source == SourceScope {
		what = "scope"
	}
	return fmt.Sprintf("%s %s from %s %q in %s line %d", d.Attribute, d.Value, what, d.Rule, d.File, d.Line)
}

// Decision sources.
const (
	SourceContextRule = "context_rule"
	SourceScope       = "scope"
)

// EvalError is an expression that failed while evaluating (as opposed to
// one that does not match): a cost limit hit, a bad regular expression
// built at run time, a type mismatch through dyn. The expression counts as
// not matching; the error says which one failed, where, and why.
type EvalError struct {
	Field string // e.g. scopes[2].assets
	Name  string // the scope's, rule's, control's name
	File  string
	Line  int
	Err   error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("%s:%d: %s (%s): %v", e.File, e.Line, e.Field, e.Name, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

func (c *Config) evalErr(field, name string, line int, err error) error {
	return &EvalError{Field: field, Name: name, File: c.File, Line: line, Err: err}
}

// Why returns the decision behind an attribute ("criticality",
// "internet_exposed", "crown_jewel", "owner", "tags.<name>"); false when
// ctem.yaml did not decide it and the imported value stands.
func (r AssetContext) Why(attribute string) (Decision, bool) {
	for _, d := range r.Decisions {
		if d.Attribute == attribute {
			return d, true
		}
	}
	return Decision{}, false
}

// act converts an asset and a finding for evaluation, once.
func (c *Config) act(a *model.Asset, f *model.Finding) *activation {
	return &activation{asset: c.assetVar(a), finding: findingVar(f), now: timestamp(c.clock())}
}

// WithClock returns a copy of the configuration whose expressions read now
// from f instead of the system clock (ControlsFor takes now explicitly).
// Tests and backtests use it to make time-based selectors repeatable.
func (c *Config) WithClock(f func() time.Time) *Config {
	cp := *c
	cp.clock = f
	return &cp
}

// AssetContext is everything ctem.yaml says about one asset.
type AssetContext struct {
	Asset      model.Asset // with context rules and scope criticality applied
	Scopes     []string    // scope names, file order
	Zones      []string    // network zones, most specific first
	CrownJewel bool
	Decisions  []Decision // one per attribute set, in the order applied
}

// Resolve applies the whole of ctem.yaml to an asset as imported:
//
//  1. Context rules, in file order, each `when` evaluated on the asset as
//     imported (rules do not see each other's changes); for each attribute —
//     criticality, internet_exposed, crown_jewel, owner, and each tag by
//     name — the first matching rule that sets it wins.
//  2. Scope membership, evaluated on the asset after step 1, so scopes can
//     select on tags and criticality that rules set.
//  3. Scope criticality and crown-jewel flags, for attributes no context
//     rule set: the highest criticality among the asset's scopes, crown
//     jewel if any of its scopes is one. An explicit context rule beats a
//     scope; a scope beats the value the import brought.
//
// Evaluation errors do not stop resolution: the failing expression counts
// as not matching and the errors are returned joined (each an *EvalError).
func (c *Config) Resolve(a model.Asset) (AssetContext, error) {
	act := c.act(&a, nil)
	out := AssetContext{Asset: a, Zones: act.asset.Zones}
	out.Asset.Tags = maps.Clone(a.Tags)
	var errs []error

	decided := map[string]bool{}
	decide := func(attr, val, source, name string, line int) bool {
		if decided[attr] {
			return false
		}
		decided[attr] = true
		out.Decisions = append(out.Decisions, Decision{Attribute: attr, Value: val, Source: source, Rule: name, File: c.File, Line: line})
		return true
	}
	for i, r := range c.rules {
		ok, err := r.when.eval(act)
		if err != nil {
			errs = append(errs, c.evalErr(fmt.Sprintf("context_rules[%d].when", i), r.Name, r.Line, err))
		}
		if !ok {
			continue
		}
		s := r.Set
		if s.Criticality != nil && decide("criticality", strconv.Itoa(*s.Criticality), SourceContextRule, r.Name, r.Line) {
			out.Asset.Criticality = *s.Criticality
		}
		if s.InternetExposed != nil && decide("internet_exposed", strconv.FormatBool(*s.InternetExposed), SourceContextRule, r.Name, r.Line) {
			out.Asset.InternetExposed = *s.InternetExposed
		}
		if s.CrownJewel != nil && decide("crown_jewel", strconv.FormatBool(*s.CrownJewel), SourceContextRule, r.Name, r.Line) {
			out.CrownJewel = *s.CrownJewel
		}
		if s.Owner != "" && decide("owner", s.Owner, SourceContextRule, r.Name, r.Line) {
			out.Asset.Owner = s.Owner
		}
		for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
			if decide("tags."+k, s.Tags[k], SourceContextRule, r.Name, r.Line) {
				if out.Asset.Tags == nil {
					out.Asset.Tags = map[string]string{}
				}
				out.Asset.Tags[k] = s.Tags[k]
			}
		}
	}

	scopes, err := c.Membership(out.Asset)
	if err != nil {
		errs = append(errs, err)
	}
	out.Scopes = scopes
	best, crown := -1, -1
	for _, name := range scopes {
		i := slices.IndexFunc(c.scopes, func(s Scope) bool { return s.Name == name })
		s := c.scopes[i]
		if s.Criticality > 0 && (best < 0 || s.Criticality > c.scopes[best].Criticality) {
			best = i
		}
		if s.CrownJewel && crown < 0 {
			crown = i
		}
	}
	if best >= 0 {
		s := c.scopes[best]
		if decide("criticality", strconv.Itoa(s.Criticality), SourceScope, s.Name, s.Line) {
			out.Asset.Criticality = s.Criticality
		}
	}
	if crown >= 0 {
		s := c.scopes[crown]
		if decide("crown_jewel", "true", SourceScope, s.Name, s.Line) {
			out.CrownJewel = true
		}
	}
	return out, errors.Join(errs...)
}

// ApplyContext returns the asset with context rules and scope criticality
// applied, and why each attribute has its value. See Resolve.
func (c *Config) ApplyContext(a model.Asset) (model.Asset, []Decision, error) {
	r, err := c.Resolve(a)
	return r.Asset, r.Decisions, err
}

// Membership returns the names of the scopes an asset belongs to, in file
// order: those whose assets selector matches and whose exclude does not.
// It evaluates the asset as given; pass it through ApplyContext first (or
// use Resolve) so that selectors see what context rules set.
func (c *Config) Membership(a model.Asset) ([]string, error) {
	act := c.act(&a, nil)
	var out []string
	var errs []error
	for i, s := range c.scopes {
		ok, err := c.member(i, act)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			out = append(out, s.Name)
		}
	}
	return out, errors.Join(errs...)
}

func (c *Config) member(i int, act *activation) (bool, error) {
	s := c.scopes[i]
	ok, err := s.assets.eval(act)
	if err != nil {
		return false, c.evalErr(fmt.Sprintf("scopes[%d].assets", i), s.Name, s.Line, err)
	}
	if !ok || s.exclude == nil {
		return ok, nil
	}
	excluded, err := s.exclude.eval(act)
	if err != nil {
		// Failing safe: an asset whose exclusion cannot be decided stays
		// out, so a broken exclusion never widens a scope.
		return false, c.evalErr(fmt.Sprintf("scopes[%d].exclude", i), s.Name, s.Line, err)
	}
	return !excluded, nil
}

// FindingInScope reports whether a finding belongs to a scope: its asset is
// a member and the scope's findings selector, if any, matches.
func (c *Config) FindingInScope(scope string, a model.Asset, f model.Finding) (bool, error) {
	i := slices.IndexFunc(c.scopes, func(s Scope) bool { return s.Name == scope })
	if i < 0 {
		return false, fmt.Errorf("scope %q is not declared in %s", scope, c.File)
	}
	act := c.act(&a, &f)
	return c.findingIn(i, act)
}

func (c *Config) findingIn(i int, act *activation) (bool, error) {
	ok, err := c.member(i, act)
	if !ok || err != nil || c.scopes[i].findings == nil {
		return ok, err
	}
	s := c.scopes[i]
	ok, err = s.findings.eval(act)
	if err != nil {
		return false, c.evalErr(fmt.Sprintf("scopes[%d].findings", i), s.Name, s.Line, err)
	}
	return ok, nil
}

// FindingScopes returns every scope a finding belongs to (see
// FindingInScope), converting the asset and finding once.
func (c *Config) FindingScopes(a model.Asset, f model.Finding) ([]string, error) {
	act := c.act(&a, &f)
	var out []string
	var errs []error
	for i, s := range c.scopes {
		ok, err := c.findingIn(i, act)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			out = append(out, s.Name)
		}
	}
	return out, errors.Join(errs...)
}

// OwnerOf returns the team that owns a finding (or, with f nil, an asset)
// and the ownership rule that decided it: the first rule in `owners` whose
// condition holds. When none does, an asset owner that names a declared
// team (set by a context rule or brought by the import) is used, with rule
// "asset.owner". No owner at all is "", "", nil. With f nil, `finding`
// reads as an empty finding in the rules.
func (c *Config) OwnerOf(a model.Asset, f *model.Finding) (team, rule string, err error) {
	act := c.act(&a, f)
	var errs []error
	if len(c.owners) > 0 {
		act.scopes, err = c.Membership(a)
		if err != nil {
			errs = append(errs, err)
		}
	}
	for i, o := range c.owners {
		ok, err := o.when.eval(act)
		if err != nil {
			errs = append(errs, c.evalErr(fmt.Sprintf("owners[%d].when", i), o.Name, o.Line, err))
		}
		if ok {
			return o.Team, o.Name, errors.Join(errs...)
		}
	}
	if _, ok := c.Team(a.Owner); ok {
		return a.Owner, "asset.owner", errors.Join(errs...)
	}
	return "", "", errors.Join(errs...)
}

// ControlsFor returns the active controls that mitigate a finding (or, with
// f nil, that cover an asset as a whole): applies_to matches the asset and,
// when the control has a findings selector, it matches the finding.
// Controls with a findings selector never apply to a nil finding.
func (c *Config) ControlsFor(a model.Asset, f *model.Finding, now time.Time) ([]Control, error) {
	act := c.act(&a, f)
	act.now = timestamp(now)
	var errs []error
	if len(c.controls) > 0 {
		var err error
		if act.scopes, err = c.Membership(a); err != nil {
			errs = append(errs, err)
		}
	}
	var out []Control
	for i, k := range c.controls {
		if k.Expired(now) {
			continue
		}
		ok, err := k.appliesTo.eval(act)
		if err != nil {
			errs = append(errs, c.evalErr(fmt.Sprintf("controls[%d].applies_to", i), k.Name, k.Line, err))
		}
		if !ok {
			continue
		}
		if k.findings != nil {
			if f == nil {
				continue
			}
			ok, err = k.findings.eval(act)
			if err != nil {
				errs = append(errs, c.evalErr(fmt.Sprintf("controls[%d].findings", i), k.Name, k.Line, err))
			}
			if !ok {
				continue
			}
		}
		out = append(out, k)
	}
	return out, errors.Join(errs...)
}

// SLAFor returns the days to fix a finding in a band, given the scopes the
// finding is in: the shortest override among those scopes (the strictest
// risk tolerance wins), else the organization-wide sla. from says where the
// number came from ("scope payments", "sla"); 0 and "" mean ctem.yaml says
// nothing and the prioritization policy's default applies.
func (c *Config) SLAFor(band string, scopes []string) (days int, from string) {
	for _, s := range c.scopes {
		if d := s.SLA.Days(band); d > 0 && slices.Contains(scopes, s.Name) && (days == 0 || d < days) {
			days, from = d, "scope "+s.Name
		}
	}
	if days == 0 {
		if d := c.SLA.Days(band); d > 0 {
			days, from = d, "sla"
		}
	}
	return days, from
}
