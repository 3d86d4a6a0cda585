// Package scoutsuite reads ScoutSuite results: the scoutsuite_results_*.js
// file of the HTML report ("scoutsuite_results =" followed by JSON) or the
// same JSON on its own. Each rule lists the flagged items as dotted paths
// into the collected configuration ("ec2.regions.eu-west-1.vpcs.vpc-1.
// security_groups.sg-2.rules..."); every item is one finding, on the resource
// the rule's display path points at.
package scoutsuite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the ScoutSuite format.
func New() report.Format { return format{} }

func (format) Name() string        { return "scout_suite" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "ScoutSuite results (.js or .json)" }

const jsPrefix = "scoutsuite_results"

func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(h, []byte(jsPrefix)) {
		return 100
	}
	if len(h) > 0 && h[0] == '{' && bytes.Contains(h, []byte(`"last_run"`)) &&
		bytes.Contains(h, []byte(`"ruleset_name"`)) && bytes.Contains(h, []byte(`"ruleset_about"`)) {
		return 85
	}
	return 0
}

// rule is a ScoutSuite finding: one rule and the items it flagged.
type rule struct {
	Description  string   `json:"description"`
	Level        string   `json:"level"`
	Items        []string `json:"items"`
	Path         string   `json:"path"`
	DisplayPath  string   `json:"display_path"`
	Rationale    string   `json:"rationale"`
	Remediation  string   `json:"remediation"`
	References   []string `json:"references"`
	Service      string   `json:"service"`
	CheckedItems any      `json:"checked_items"`
}

// pending is an item waiting for the report's provider and account, which
// ScoutSuite may write after the services.
type pending struct {
	ruleKey, item string
	rule          *rule
	res           resource
	value         string
}

type resource struct {
	path, typ, service, region, project, name, arn, id string
}

type parser struct {
	provider, account string
	items             []pending
	assets            []resource
	covered           map[string]bool
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := lead.SkipBOM(r)
	skipped, err := skipPrefix(br)
	if err != nil {
		return err
	}
	js := report.NewJSONStream(br)
	p := &parser{}
	sawServices := false
	err = js.Object(func(key string) error {
		switch key {
		case "provider_code":
			return js.Decode(&p.provider)
		case "account_id":
			var v any
			if err := js.Decode(&v); err != nil {
				return err
			}
			if v != nil {
				p.account = fmt.Sprint(v)
			}
			return nil
		case "services":
			sawServices = true
			return js.Object(func(svc string) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				// A service is decoded whole: rule items point anywhere into
				// it, and its findings may come before or after the data.
				var data map[string]any
				if err := js.Decode(&data); err != nil {
					return err
				}
				return p.service(svc, data)
			})
		}
		return js.Skip()
	})
	if err == nil {
		err = js.End()
	}
	if err != nil {
		var pe *report.ParseError
		if errors.As(err, &pe) && pe.Offset >= 0 {
			pe.Offset += skipped
		}
		return err
	}
	if !sawServices {
		return report.Errorf(skipped, `expected ScoutSuite results with a "services" object`)
	}
	return p.flush(sink)
}

// skipPrefix consumes "scoutsuite_results =" when the input is the .js file
// and returns how many bytes it skipped.
func skipPrefix(br *bufio.Reader) (int64, error) {
	peek, _ := br.Peek(256)
	h := bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf"))
	lead := int64(len(peek) - len(h))
	t := bytes.TrimLeft(h, " \t\r\n")
	lead += int64(len(h) - len(t))
	if len(t) == 0 {
		return 0, report.Errorf(0, "empty input: expected ScoutSuite results")
	}
	if !bytes.HasPrefix(t, []byte(jsPrefix)) {
		return 0, nil
	}
	i := bytes.IndexByte(t, '=')
	if i < 0 {
		return 0, report.Errorf(lead, `expected "scoutsuite_results =" before the JSON results`)
	}
	n := lead + int64(i) + 1
	_, err := br.Discard(int(n))
	return n, err
}

func (p *parser) service(svc string, data map[string]any) error {
	raw, _ := data["findings"].(map[string]any)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := json.Marshal(raw[k])
		if err != nil {
			return err
		}
		var ru rule
		if err := json.Unmarshal(b, &ru); err != nil {
			return fmt.Errorf("ScoutSuite rule %s.%s: %w", svc, k, err)
		}
		pattern := nonempty.First(ru.DisplayPath, ru.Path)
		// Every resource a rule looked at is covered, flagged or not: a
		// resource that is no longer flagged has had its finding fixed.
		for _, path := range expand(data, svc, resourcePattern(pattern)) {
			p.cover(locate(data, svc, path, pattern))
		}
		for _, item := range ru.Items {
			res := locate(data, svc, item, pattern)
			p.items = append(p.items, pending{ruleKey: k, item: item, rule: &ru, res: res, value: valueAt(data, item)})
			p.cover(res)
		}
	}
	return nil
}

func (p *parser) cover(res resource) {
	if p.covered == nil {
		p.covered = map[string]bool{}
	}
	if !p.covered[res.path] {
		p.covered[res.path] = true
		p.assets = append(p.assets, res)
	}
}

// isScope tells whether an "id" placeholder after collection stands for a
// scope (a region, project or subscription) rather than a resource.
func isScope(collection string) bool {
	return collection == "regions" || collection == "projects" || collection == "subscriptions"
}

// resourcePattern cuts a rule path after its last resource placeholder:
// "ec2.regions.id.vpcs.id.security_groups.id.rules.id" ->
// "ec2.regions.id.vpcs.id.security_groups.id.rules.id", and
// "cloudtrail.regions.id" -> "" (a region setting of the account).
func resourcePattern(pattern string) string {
	pat := strings.Split(pattern, ".")
	last := -1
	for i := 1; i < len(pat); i++ {
		if pat[i] == "id" && !isScope(pat[i-1]) {
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	return strings.Join(pat[:last+1], ".")
}

// expand lists the concrete paths of a resource pattern in a service's data,
// an "id" placeholder standing for every key at its level.
func expand(data map[string]any, svc, pattern string) []string {
	if pattern == "" {
		return nil
	}
	pat := strings.Split(pattern, ".")
	if len(pat) < 2 || pat[0] != svc {
		return nil
	}
	var out []string
	var walk func(v any, i int, prefix string)
	walk = func(v any, i int, prefix string) {
		if i == len(pat) {
			out = append(out, prefix)
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if pat[i] != "id" {
			walk(m[pat[i]], i+1, prefix+"."+pat[i])
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(m[k], i+1, prefix+"."+k)
		}
	}
	walk(data, 1, svc)
	return out
}

// locate finds the resource an item belongs to: the item path cut after the
// last "id" placeholder of the rule's (display) path. A placeholder that
// stands for a region or project names a scope, not a resource.
func locate(data map[string]any, svc, item, pattern string) resource {
	segs := strings.Split(item, ".")
	res := resource{service: svc}
	for i := 1; i+1 < len(segs); i++ {
		switch segs[i] {
		case "regions":
			res.region = segs[i+1]
		case "projects":
			res.project = segs[i+1]
		}
	}
	last := len(strings.Split(resourcePattern(pattern), ".")) - 1
	if resourcePattern(pattern) == "" || last >= len(segs) {
		return res // account or region level
	}
	res.path = strings.Join(segs[:last+1], ".")
	res.typ = segs[last-1]
	obj, _ := lookup(data, segs[1:last+1]).(map[string]any)
	res.id = segs[last]
	if obj != nil {
		res.name = str(obj["name"])
		res.arn = str(obj["arn"])
		if res.arn == "" {
			for k, v := range obj {
				if s := str(v); strings.HasSuffix(strings.ToLower(k), "arn") && strings.HasPrefix(s, "arn:") {
					res.arn = s
					break
				}
			}
		}
		// ScoutSuite writes bucket ARNs as policy resources ("…:::bucket/*").
		res.arn = strings.TrimSuffix(res.arn, "/*")
		if id := str(obj["id"]); id != "" {
			res.id = id
		}
	}
	return res
}

func lookup(v any, path []string) any {
	for _, k := range path {
		switch m := v.(type) {
		case map[string]any:
			v = m[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(m) {
				return nil
			}
			v = m[i]
		default:
			return nil
		}
	}
	return v
}

// valueAt is the flagged value when it is a plain value, for the evidence.
func valueAt(data map[string]any, item string) string {
	segs := strings.Split(item, ".")
	if len(segs) < 2 {
		return ""
	}
	switch v := lookup(data, segs[1:]).(type) {
	case string, bool, json.Number, float64:
		return fmt.Sprint(v)
	}
	return ""
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case json.Number:
		return s.String()
	}
	return ""
}

func (p *parser) asset(res resource) report.AssetRef {
	attrs := map[string]string{}
	assetref.SetAttr(attrs, "provider", p.provider)
	assetref.SetAttr(attrs, "account", p.account)
	if res.path == "" {
		// A rule about a whole account, project or region (no CloudTrail in
		// a region, a weak password policy): the account is the asset.
		ref := report.AssetRef{Kind: model.AssetCloud, Name: p.account, Attributes: attrs}
		assetref.SetAttr(attrs, "type", "account")
		if p.account != "" {
			ref.Identifiers = []model.Identifier{{Kind: model.IDCloudID, Value: p.account}}
		}
		return ref
	}
	assetref.SetAttr(attrs, "region", res.region)
	assetref.SetAttr(attrs, "project", res.project)
	assetref.SetAttr(attrs, "service", res.service)
	assetref.SetAttr(attrs, "type", res.typ)
	ref := report.AssetRef{Kind: model.AssetCloud, Name: nonempty.First(res.name, res.arn, res.id), Attributes: attrs}
	switch {
	case res.arn != "":
		ref.Identifiers = []model.Identifier{{Kind: model.IDARN, Value: res.arn}}
	case p.provider == "gcp" && res.name != "":
		// GCP resources are keyed by a hash in ScoutSuite; their name is
		// the id GCP knows them by within the project.
		ref.Identifiers = []model.Identifier{{Kind: model.IDCloudID, Value: nonempty.Join("/", res.project, res.typ, res.name)}}
	case res.id != "":
		ref.Identifiers = []model.Identifier{{Kind: model.IDCloudID, Value: res.id}}
	}
	return ref
}

func (p *parser) flush(sink report.Sink) error {
	// The account is covered by every account- and region-level rule.
	if !p.covered[""] {
		p.assets = append([]resource{{}}, p.assets...)
	}
	for _, res := range p.assets {
		if err := sink.Asset(p.asset(res)); err != nil {
			return err
		}
	}
	for _, it := range p.items {
		ru := it.rule
		ruleID := ruleKey(p.provider, it.ruleKey)
		fd := model.Finding{
			Kind:        model.KindMisconfiguration,
			Title:       nonempty.First(ru.Description, it.ruleKey),
			Description: report.Truncate(strings.TrimSpace(ru.Rationale), 8<<10),
			Severity:    severity(ru.Level),
			RuleID:      ruleID,
			Remediation: strings.TrimSpace(ru.Remediation),
			Location:    model.Location{Resource: it.item},
		}
		for _, u := range ru.References {
			if u = strings.TrimSpace(u); strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
				fd.References = append(fd.References, u)
			}
		}
		ev := it.item
		if it.value != "" {
			ev += " = " + it.value
		}
		err := sink.Observe(report.Observation{
			Asset:        p.asset(it.res),
			ToolID:       ruleID,
			ToolSeverity: ru.Level,
			Evidence:     report.Truncate(ev, 4<<10),
			Finding:      fd,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ruleKey prefixes the rule file name with the provider, as ScoutSuite's
// rule names repeat across providers (aws:iam-..., gcp:iam-...).
func ruleKey(provider, key string) string {
	if provider == "" {
		return key
	}
	return provider + ":" + key
}

// severity maps ScoutSuite's two levels: "danger" rules are the ones it
// colours red, "warning" orange.
func severity(level string) model.Severity {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "danger":
		return model.SevCritical
	case "warning":
		return model.SevMedium
	}
	return report.SeverityOr(level, model.SevInfo)
}
