package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

const (
	maxTitle       = 250
	maxDescription = 16 << 10
	maxRemediation = 8 << 10
	maxEvidence    = 4 << 10
)

// result maps one SARIF result to one observation per location.
func (p *parser) result(rs *runState, res *result) error {
	p.seen++
	if p.seen%256 == 0 {
		if err := p.ctx.Err(); err != nil {
			return err
		}
	}
	if k := strings.ToLower(strings.TrimSpace(string(res.Kind))); k != "" && k != "fail" {
		return nil
	}
	if strings.EqualFold(strings.TrimSpace(string(res.BaselineState)), "absent") {
		return nil
	}
	asset, err := p.assetFor(rs)
	if err != nil {
		return err
	}

	rule := rs.rules.lookup(res)
	ruleID := strings.TrimSpace(string(res.RuleID))
	if ruleID == "" && res.Rule != nil {
		ruleID = strings.TrimSpace(string(res.Rule.ID))
	}
	if ruleID == "" && rule != nil {
		ruleID = strings.TrimSpace(string(rule.ID))
	}
	msg := strings.TrimSpace(rs.rules.messageText(&res.Message, rule))

	var ruleProps props
	if rule != nil {
		ruleProps = rule.Properties
	}
	tags := append(ruleProps.strs("tags"), res.Properties.strs("tags")...)

	f := model.Finding{
		Title:       title(msg, rule, ruleID),
		Description: report.Truncate(description(msg, rule), maxDescription),
		RuleID:      ruleID,
		Remediation: report.Truncate(remediation(res, rule), maxRemediation),
		References:  references(res, rule),
	}
	sev, toolSev := severity(res, rule)
	f.Severity = sev
	f.Kind, f.VulnID, f.Aliases = classify(rs.toolName, ruleID, tags)
	addCWEs(&f, res, rule)
	addVectors(&f, ruleProps)
	addVectors(&f, res.Properties)
	if f.Kind == model.KindVulnerability {
		f.Component = componentFromMessage(msg)
	}

	toolID := ruleID
	if toolID == "" {
		// gitleaks 7 writes no ruleId; its message names the rule.
		toolID = f.Title
	}
	base := baseAnchor(res)
	supp := suppressionNote(res.Suppressions)

	locs := res.Locations
	if len(locs) == 0 {
		locs = []location{{}}
	}
	for i := range locs {
		loc := &locs[i]
		obs := report.Observation{
			Asset:        asset,
			ToolID:       toolID,
			ToolSeverity: toolSev,
			Finding:      cloneFinding(f),
		}
		snip := snippetText(loc)
		p.fillLocation(rs, &obs.Finding, loc)
		var ev []string
		if supp != "" {
			ev = append(ev, supp)
		}
		if f.Kind == model.KindSecret {
			obs.Secret = secretValue(res, loc)
			if c := commitOf(res); c != "" {
				ev = append(ev, "commit "+c)
			}
			// The snippet of a secret scanner holds the secret: keep it out
			// of Evidence and out of unkeyed hashes.
			snip = ""
			if obs.Secret == "" {
				obs.Anchor = anchor(base, ruleID, "", msg, obs.Finding.Location.File, i, len(locs))
			}
		} else {
			if snip != "" {
				ev = append(ev, snip)
			}
			obs.Anchor = anchor(base, ruleID, snip, msg, obs.Finding.Location.File, i, len(locs))
		}
		if fqn := logicalName(loc); fqn != "" && obs.Finding.Location.File == "" {
			ev = append(ev, "in "+fqn)
		}
		obs.Anchor = p.occurrence(obs.Anchor, obs.Finding.Location.File)
		obs.Evidence = report.Truncate(strings.Join(ev, "\n"), maxEvidence)
		if err := p.sink.Observe(obs); err != nil {
			return err
		}
	}
	return nil
}

func cloneFinding(f model.Finding) model.Finding {
	f.Aliases = slices.Clone(f.Aliases)
	f.CWEs = slices.Clone(f.CWEs)
	f.CVSS = slices.Clone(f.CVSS)
	f.References = slices.Clone(f.References)
	return f
}

func (p *parser) fillLocation(rs *runState, f *model.Finding, loc *location) {
	pl := loc.PhysicalLocation
	if pl == nil {
		return
	}
	if al := pl.ArtifactLocation; al != nil {
		uri := strings.TrimSpace(string(al.URI))
		if uri == "" && al.Index.set && al.Index.n < len(rs.artifacts) {
			uri = strings.TrimSpace(rs.artifacts[al.Index.n])
		}
		// The URI is kept as written (file:///... included), as DefectDojo
		// keeps it, so that paths match what the tool shows.
		f.Location.File = uri
	}
	if reg := pl.Region; reg != nil && reg.StartLine > 0 {
		f.Location.Line = int(reg.StartLine)
		if reg.EndLine >= reg.StartLine {
			f.Location.EndLine = int(reg.EndLine)
		}
	}
}

func snippetText(loc *location) string {
	pl := loc.PhysicalLocation
	if pl == nil {
		return ""
	}
	if pl.Region != nil && pl.Region.Snippet != nil {
		if t := strings.TrimSpace(string(pl.Region.Snippet.Text)); t != "" {
			return t
		}
	}
	if pl.ContextRegion != nil && pl.ContextRegion.Snippet != nil {
		return strings.TrimSpace(string(pl.ContextRegion.Snippet.Text))
	}
	return ""
}

func logicalName(loc *location) string {
	for _, l := range loc.LogicalLocations {
		if n := strings.TrimSpace(string(l.FullyQualifiedName)); n != "" {
			return n
		}
		if n := strings.TrimSpace(string(l.Name)); n != "" {
			return n
		}
	}
	return ""
}

// collapse folds runs of white space into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func shortTitle(s string) string {
	if len(s) <= maxTitle {
		return s
	}
	return report.Truncate(s, maxTitle-len("…")) + "…"
}

// title is the result message (as DefectDojo titles SARIF findings), or
// the rule's short description when the message is a long essay (Semgrep
// rules put their whole guidance there), or the rule's name or id.
func title(msg string, rule *descriptor, ruleID string) string {
	t := collapse(msg)
	var short string
	if rule != nil {
		short = collapse(rule.ShortDescription.String())
	}
	if t == "" || (len(t) > maxTitle && short != "" && len(short) <= maxTitle) {
		t = short
	}
	if t == "" && rule != nil {
		t = collapse(rule.FullDescription.String())
		if t == "" {
			t = collapse(string(rule.Name))
		}
	}
	if t == "" {
		t = ruleID
	}
	return shortTitle(t)
}

func description(msg string, rule *descriptor) string {
	parts := []string{}
	if msg != "" {
		parts = append(parts, msg)
	}
	if rule != nil {
		full := strings.TrimSpace(rule.FullDescription.String())
		short := strings.TrimSpace(rule.ShortDescription.String())
		switch {
		case full != "" && full != msg:
			parts = append(parts, full)
		case full == "" && short != "" && short != msg:
			parts = append(parts, short)
		}
	}
	return strings.Join(parts, "\n\n")
}

// remediation is the result's proposed fixes, else the rule's help text
// when it says more than the descriptions (and is not just a link).
func remediation(res *result, rule *descriptor) string {
	var fixes []string
	for _, f := range res.Fixes {
		if t := strings.TrimSpace(f.Description.String()); t != "" {
			fixes = append(fixes, t)
		}
	}
	if len(fixes) > 0 {
		return strings.Join(fixes, "\n")
	}
	if rule == nil {
		return ""
	}
	help := strings.TrimSpace(rule.Help.String())
	if help == "" || isURL(help) ||
		help == strings.TrimSpace(rule.FullDescription.String()) ||
		help == strings.TrimSpace(rule.ShortDescription.String()) {
		return ""
	}
	return help
}

func isURL(s string) bool {
	return !strings.ContainsAny(s, " \t\n") && (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://"))
}

func references(res *result, rule *descriptor) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if isURL(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if rule != nil {
		add(string(rule.HelpURI))
		add(rule.Help.String())
		for _, k := range []string{"reference", "references", "helpUri"} {
			for _, v := range rule.Properties.strs(k) {
				add(v)
			}
		}
	}
	for _, k := range []string{"reference", "references"} {
		for _, v := range res.Properties.strs(k) {
			add(v)
		}
	}
	return out
}

// severity returns ctem's severity and the tool's own value it came from.
func severity(res *result, rule *descriptor) (model.Severity, string) {
	var ruleProps props
	if rule != nil {
		ruleProps = rule.Properties
	}
	// GitHub code scanning, Grype, Trivy and Semgrep put a CVSS-like score
	// (or a word) in security-severity; it is more precise than the level.
	for _, pb := range []props{ruleProps, res.Properties} {
		if v := pb.str("security-severity"); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return report.SeverityFromScore(f), v
			}
			if s, ok := report.Severity(v); ok {
				return s, v
			}
		}
	}
	level := strings.TrimSpace(string(res.Level))
	if level == "" && rule != nil && rule.DefaultConfiguration != nil {
		level = strings.TrimSpace(string(rule.DefaultConfiguration.Level))
	}
	if s, ok := levelSeverity(level); ok {
		return s, level
	}
	for _, pb := range []props{res.Properties, ruleProps} {
		if v := pb.str("severity"); v != "" {
			if s, ok := report.Severity(v); ok {
				return s, v
			}
		}
	}
	// SARIF's default level is "warning".
	return model.SevMedium, level
}

func levelSeverity(level string) (model.Severity, bool) {
	switch strings.ToLower(level) {
	case "error":
		return model.SevHigh, true
	case "warning":
		return model.SevMedium, true
	case "note", "none":
		// DefectDojo (and its tests) rate notes as info.
		return model.SevInfo, true
	}
	return "", false
}

var (
	secretTools = []string{"gitleaks", "trufflehog", "detect-secrets", "detect_secrets", "ggshield", "gitguardian",
		"secretlint", "noseyparker", "nosey parker", "kingfisher", "whispers", "talisman", "betterleaks"}
	misconfigTools = []string{"dockle", "checkov", "kics", "tfsec", "terrascan", "hadolint", "kube-linter",
		"kubelinter", "kubescape", "cfn-lint", "cfn_nag", "cfn-nag"}
	ghsaAny = regexp.MustCompile(`(?i)GHSA(-[23456789cfghjmpqrvwx]{4}){3}`)
	// Advisory ids that SCA tools use as rule ids (Snyk Open Source,
	// govulncheck, OSV-based scanners, distribution advisories).
	advisoryID = regexp.MustCompile(`^(SNYK|GO|PYSEC|RUSTSEC|OSV|RHSA|DSA|DLA|USN|ALAS\d*|ELSA|MAL)-[A-Za-z0-9][\w.:-]*$`)
)

// classify decides the finding kind and, for vulnerabilities, the ids.
func classify(toolName, ruleID string, tags []string) (model.FindingKind, string, []string) {
	tool := strings.ToLower(toolName)
	lowTags := make([]string, len(tags))
	for i, t := range tags {
		lowTags[i] = strings.ToLower(strings.TrimSpace(t))
	}
	for _, t := range secretTools {
		if strings.Contains(tool, t) {
			return model.KindSecret, "", nil
		}
	}
	if slices.Contains(lowTags, "secret") || slices.Contains(lowTags, "secrets") {
		return model.KindSecret, "", nil
	}
	ids := report.FindCVEs(ruleID)
	ids = append(ids, ghsaAny.FindAllString(ruleID, -1)...)
	for _, t := range tags {
		ids = append(ids, report.FindCVEs(t)...)
	}
	if len(ids) == 0 && ruleID != "" && (advisoryID.MatchString(ruleID) || slices.Contains(lowTags, "vulnerability")) {
		ids = []string{ruleID}
	}
	if len(ids) > 0 {
		id, aliases := report.VulnIDs(ids...)
		return model.KindVulnerability, id, aliases
	}
	for _, t := range misconfigTools {
		if strings.Contains(tool, t) {
			return model.KindMisconfiguration, "", nil
		}
	}
	if slices.Contains(lowTags, "misconfiguration") || slices.Contains(lowTags, "iac") {
		return model.KindMisconfiguration, "", nil
	}
	return model.KindCodeWeakness, "", nil
}

var cweAny = regexp.MustCompile(`(?i)\bcwe[-_: ]?0*(\d{1,5})\b`)

func addCWEText(f *model.Finding, s string) {
	for _, m := range cweAny.FindAllStringSubmatch(s, -1) {
		report.AddCWE(f, m[1])
	}
}

// addCWEs collects CWEs from the result (njsscan and mobsfscan put them in
// properties.cwe, others in taxa) and from the rule (relationships to the
// CWE taxonomy, properties.cwe, tags such as "external/cwe/cwe-079").
func addCWEs(f *model.Finding, res *result, rule *descriptor) {
	for _, v := range res.Properties.strs("cwe") {
		addCWEText(f, v)
	}
	for _, t := range res.Taxa {
		if strings.EqualFold(strings.TrimSpace(string(t.ToolComponent.Name)), "CWE") {
			report.AddCWE(f, string(t.ID))
		}
	}
	if rule == nil {
		return
	}
	for _, r := range rule.Relationships {
		id := string(r.Target.ID)
		if strings.EqualFold(strings.TrimSpace(string(r.Target.ToolComponent.Name)), "CWE") {
			report.AddCWE(f, id)
		} else {
			addCWEText(f, id)
		}
	}
	for _, v := range rule.Properties.strs("cwe") {
		if n, ok := report.ParseCWE(v); ok {
			report.AddCWE(f, strconv.Itoa(n))
		} else {
			addCWEText(f, v)
		}
	}
	for _, t := range rule.Properties.strs("tags") {
		addCWEText(f, t)
	}
}

// addVectors picks CVSS vectors out of a property bag.
func addVectors(f *model.Finding, pb props) {
	for _, k := range sortedKeys(pb) {
		v, ok := pb[k].(string)
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "CVSS:") || (strings.Contains(strings.ToLower(k), "vector") && strings.HasPrefix(v, "AV:")) {
			report.AddCVSS(f, v)
		}
	}
}

// componentFromMessage reads the package lines Trivy writes into the
// messages of its SARIF vulnerability results.
func componentFromMessage(msg string) model.Component {
	var c model.Component
	for _, line := range strings.Split(msg, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Package":
			c.Name = v
		case "Installed Version":
			c.Version = v
		case "Fixed Version":
			c.FixedVersion = v
		}
	}
	if c.Name == "" {
		return model.Component{}
	}
	return c
}

// suppressionNote says whether a result is suppressed. A suppression with
// no status is accepted (SARIF 3.35.3); one under review does not suppress
// yet, and rejected ones do not suppress at all.
func suppressionNote(ss []suppression) string {
	var accepted, review []string
	for _, s := range ss {
		status := strings.ToLower(strings.TrimSpace(string(s.Status)))
		if status == "" {
			status = strings.ToLower(strings.TrimSpace(string(s.State)))
		}
		what := strings.TrimSpace(string(s.Kind))
		if j := strings.TrimSpace(string(s.Justification)); j != "" {
			what += ": " + j
		}
		switch status {
		case "", "accepted":
			accepted = append(accepted, what)
		case "underreview":
			review = append(review, what)
		}
	}
	switch {
	case len(accepted) > 0:
		return "suppressed (" + strings.Join(accepted, "; ") + ")"
	case len(review) > 0:
		return "suppression under review (" + strings.Join(review, "; ") + ")"
	}
	return ""
}

// baseAnchor is the tool's own line-independent identity for a result:
// a fingerprint, else its partial fingerprints.
func baseAnchor(res *result) string {
	if len(res.Fingerprints) > 0 {
		// Keys are "method/vN": take the newest version of the first method.
		best, bestMethod, bestVer := "", "", -1
		for _, k := range sortedKeys(res.Fingerprints) {
			method, ver := k, 0
			if i := strings.LastIndexByte(k, '/'); i >= 0 {
				method = k[:i]
				ver, _ = strconv.Atoi(strings.TrimPrefix(k[i+1:], "v"))
			}
			if bestMethod == "" {
				bestMethod = method
			}
			if method == bestMethod && ver > bestVer && strings.TrimSpace(string(res.Fingerprints[k])) != "" {
				best, bestVer = k, ver
			}
		}
		if best != "" {
			return best + ":" + string(res.Fingerprints[best])
		}
	}
	if v := strings.TrimSpace(string(res.PartialFingerprints["primaryLocationLineHash"])); v != "" {
		return "primaryLocationLineHash:" + v
	}
	var parts []string
	for _, k := range sortedKeys(res.PartialFingerprints) {
		if v := strings.TrimSpace(string(res.PartialFingerprints[k])); v != "" {
			parts = append(parts, k+":"+v)
		}
	}
	return strings.Join(parts, "|")
}

// occurrence numbers repeats of one anchor in one file ("#2", "#3"...), in
// log order. Without a snippet or fingerprint, hits of one rule with one
// message in one file would otherwise share an anchor and merge into a
// single finding; CodeQL numbers its line hashes the same way.
func (p *parser) occurrence(anchor, file string) string {
	if anchor == "" {
		return ""
	}
	if p.anchors == nil {
		p.anchors = map[[16]byte]int{}
	}
	var key [16]byte
	sum := sha256.Sum256([]byte(file + "\x00" + anchor))
	copy(key[:], sum[:])
	p.anchors[key]++
	if n := p.anchors[key]; n > 1 {
		return anchor + "#" + strconv.Itoa(n)
	}
	return anchor
}

func hashHex(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// anchor is the observation's line-free identity: the tool's fingerprint,
// else a hash of the snippet, else of rule and message. When one result is
// split over several locations, each gets its own anchor, or they would
// all collapse into one finding.
func anchor(base, ruleID, snip, msg, file string, i, n int) string {
	a := base
	if a == "" {
		if snip != "" {
			a = "snippet:" + hashHex(ruleID, snip)
		} else {
			a = "message:" + hashHex(ruleID, msg)
		}
	}
	if n > 1 {
		if snip != "" {
			a += "#" + hashHex(file, snip)[:16]
		} else {
			a += "#" + hashHex(file, strconv.Itoa(i))[:16]
		}
	}
	return a
}

// secretValue is the raw secret when the log carries it: gitleaks 7 in
// properties.offender; gitleaks 8 as the region snippet (unless redacted).
func secretValue(res *result, loc *location) string {
	v := ""
	for _, k := range []string{"offender", "secret", "match"} {
		if v = res.Properties.str(k); v != "" {
			break
		}
	}
	if v == "" {
		if pl := loc.PhysicalLocation; pl != nil && pl.Region != nil && pl.Region.Snippet != nil {
			v = strings.TrimSpace(string(pl.Region.Snippet.Text))
		}
	}
	// Redacted or masked values (gitleaks --redact, Trivy's "AKIA****")
	// would make every secret of a rule look the same.
	if strings.Contains(strings.ToUpper(v), "REDACTED") || strings.Contains(v, "***") || strings.Trim(v, "*") == "" {
		return ""
	}
	return v
}

func commitOf(res *result) string {
	if c := res.Properties.str("commit"); c != "" {
		return c
	}
	return strings.TrimSpace(string(res.PartialFingerprints["commitSha"]))
}
