// Package scope loads ctem.yaml — business context as code — and answers
// the questions the other stages ask of it: which scopes an asset is in, how
// critical it is and why, which network zone holds an address and which
// flows are allowed, which controls mitigate a finding, and which team owns
// it.
//
// # Loading
//
// [Load] reads a file and [Parse] validates bytes. Validation is strict and
// complete: unknown keys, wrong types, bad CIDRs, port ranges, dates, email
// addresses, unknown zone or team references and expressions that do not
// compile are all reported in one *[ValidationError], each [Problem] with
// file, line, column, field path (scopes[0].criticality) and what was
// expected. The schema is the raw* structs in schema.go; [SchemaKeys] lists
// every key. [Config.Warnings] reports what is suspicious but valid
// (controls already expired at load). [ExampleYAML] is the commented file
// `ctem init` writes.
//
// # Expressions
//
// Selectors and conditions are CEL, type-checked at load against a typed
// environment: asset (kind, name, identifiers, hostnames, fqdns, ips,
// cloud_ids, tags, attributes, criticality, internet_exposed, owner, zones,
// first_seen, last_seen), finding (kind, severity, title, vuln_id, aliases,
// cwes, cvss_score, rule_id, component, location, sources, status,
// first_seen, last_seen), scopes (controls and owners only) and now. Helper
// functions: inCIDR(ip, cidr), inCIDR(ips, cidr), isPrivateIP(ip),
// glob(s, pattern), plus the CEL strings, sets and optional extensions.
// A missing tag or attribute reads as "" (plain CEL would raise an error and
// make `asset.tags["env"] != "prod"` fail on untagged assets). Each
// evaluation is capped at [CostLimit]; an expression that fails to evaluate
// counts as not matching and is returned as an *[EvalError] so the caller
// can log it. Each Config builds its own CEL environments: there is no
// package-level state, and a Config is safe for concurrent use.
//
// # Applying it to an asset
//
// [Config.Resolve] is the one call the import pipeline needs per asset:
//
//	rc, err := cfg.Resolve(asset)      // err: evaluation errors, already applied as "no match"
//	rc.Asset                           // criticality, exposure, owner, tags after context rules and scopes
//	rc.Scopes                          // materialize into scope_members
//	rc.CrownJewel, rc.Zones
//	rc.Decisions                       // "criticality 5 from rule "payments-db" in ctem.yaml line 42"
//	rc.Why("criticality")              // the decision behind one attribute
//
// Resolve starts from the asset as the tools reported it. Keep those
// imported values (or re-derive them) so that a changed ctem.yaml — a rule
// removed, a scope narrowed — is re-applied from them rather than from the
// previous result; [Config.Digest] changes with the file and says when
// membership and context must be recomputed.
//
// Order and precedence: context rules run first, in file order, on the
// asset as imported, first match per attribute (and per tag); then scope
// membership on the result; then, for attributes no rule set, the highest
// criticality and any crown-jewel flag among the asset's scopes. An explicit
// context rule beats a scope; a scope beats the imported value.
// [Config.ApplyContext] and [Config.Membership] are the two halves.
//
// Per finding: [Config.FindingInScope] / [Config.FindingScopes] (a scope's
// optional findings selector), [Config.ControlsFor] (active controls whose
// applies_to and findings match; expired ones never apply, see
// [Config.ExpiredControls]) and [Config.OwnerOf] (first ownership rule that
// matches, else the asset's owner if it names a team). Pass them the asset
// as Resolve returned it. [Config.SLAFor] gives the days to fix for a band
// from the scopes' risk tolerance and the organization-wide sla.
//
// # Network
//
// [Config.ZoneOf], [Config.ZoneOfCloud] and [Config.ZonesOf] place addresses
// and assets in zones (most specific CIDR first); [Config.Flows] and
// [Config.Allowed] describe permitted traffic, with [InternetZone] as the
// built-in outside; [Config.CrownJewelZones] names the targets.
package scope
