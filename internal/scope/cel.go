package scope

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"go.yaml.in/yaml/v4"

	"github.com/ctemhq/ctem/internal/model"
)

// CostLimit caps the work one evaluation of one expression may do, in CEL
// cost units (roughly one per operation or per element visited). A typical
// selector costs under 50; the cap is there so that a comprehension over a
// large asset's identifiers cannot stall an import. Exceeding it is an
// evaluation error and the expression does not match.
const CostLimit = 100_000

// The variables expressions see. They are plain structs registered as CEL
// native types, so field names are checked when the file is loaded
// (asset.critcality is a load error, not a silent false) and evaluation reads
// fields without building maps. The Go type names show in CEL type errors
// ("scope.identifier"), hence the short lowercase names.

type identifier struct {
	Kind  string `cel:"kind"`
	Value string `cel:"value"`
}

type asset struct {
	Kind            string            `cel:"kind"`
	Name            string            `cel:"name"`
	Identifiers     []identifier      `cel:"identifiers"`
	Hostnames       []string          `cel:"hostnames"`
	FQDNs           []string          `cel:"fqdns"`
	IPs             []string          `cel:"ips"`
	CloudIDs        []string          `cel:"cloud_ids"`
	Tags            map[string]string `cel:"tags"`
	Attributes      map[string]string `cel:"attributes"`
	Criticality     int               `cel:"criticality"`
	InternetExposed bool              `cel:"internet_exposed"`
	Owner           string            `cel:"owner"`
	Zones           []string          `cel:"zones"`
	FirstSeen       time.Time         `cel:"first_seen"`
	LastSeen        time.Time         `cel:"last_seen"`
}

type component struct {
	Name         string `cel:"name"`
	Version      string `cel:"version"`
	FixedVersion string `cel:"fixed_version"`
	PURL         string `cel:"purl"`
	Ecosystem    string `cel:"ecosystem"`
	Path         string `cel:"path"`
}

type location struct {
	Port     int    `cel:"port"`
	Protocol string `cel:"protocol"`
	Service  string `cel:"service"`
	URL      string `cel:"url"`
	Method   string `cel:"method"`
	Param    string `cel:"param"`
	File     string `cel:"file"`
	Line     int    `cel:"line"`
	Resource string `cel:"resource"`
}

type finding struct {
	Kind      string    `cel:"kind"`
	Severity  string    `cel:"severity"`
	Title     string    `cel:"title"`
	VulnID    string    `cel:"vuln_id"`
	Aliases   []string  `cel:"aliases"`
	CWEs      []int     `cel:"cwes"`
	CVSSScore float64   `cel:"cvss_score"`
	RuleID    string    `cel:"rule_id"`
	Component component `cel:"component"`
	Location  location  `cel:"location"`
	Sources   []string  `cel:"sources"`
	Status    string    `cel:"status"`
	FirstSeen time.Time `cel:"first_seen"`
	LastSeen  time.Time `cel:"last_seen"`
}

// assetVar converts an asset for evaluation; zones come from the config.
func (c *Config) assetVar(a *model.Asset) *asset {
	v := &asset{
		Kind:            string(a.Kind),
		Name:            a.Name,
		Identifiers:     make([]identifier, len(a.Identifiers)),
		Tags:            a.Tags,
		Attributes:      a.Attributes,
		Criticality:     a.Criticality,
		InternetExposed: a.InternetExposed,
		Owner:           a.Owner,
		Zones:           c.ZonesOf(*a),
		FirstSeen:       a.FirstSeen,
		LastSeen:        a.LastSeen,
	}
	for i, id := range a.Identifiers {
		v.Identifiers[i] = identifier{Kind: string(id.Kind), Value: id.Value}
		switch id.Kind {
		case model.IDHostname:
			v.Hostnames = append(v.Hostnames, id.Value)
		case model.IDFQDN:
			v.FQDNs = append(v.FQDNs, id.Value)
		case model.IDIPv4, model.IDIPv6:
			v.IPs = append(v.IPs, id.Value)
		case model.IDCloudID, model.IDARN:
			v.CloudIDs = append(v.CloudIDs, id.Value)
		}
	}
	// Empty rather than absent, so that size() and in behave the same for
	// an asset without tags as for one with.
	if v.Tags == nil {
		v.Tags = map[string]string{}
	}
	if v.Attributes == nil {
		v.Attributes = map[string]string{}
	}
	return v
}

func findingVar(f *model.Finding) *finding {
	if f == nil {
		return &finding{}
	}
	v := &finding{
		Kind:     string(f.Kind),
		Severity: string(f.Severity),
		Title:    f.Title,
		VulnID:   f.VulnID,
		Aliases:  f.Aliases,
		CWEs:     f.CWEs,
		RuleID:   f.RuleID,
		Component: component{
			Name: f.Component.Name, Version: f.Component.Version, FixedVersion: f.Component.FixedVersion,
			PURL: f.Component.PURL, Ecosystem: f.Component.Ecosystem, Path: f.Component.Path,
		},
		Location: location{
			Port: f.Location.Port, Protocol: f.Location.Protocol, Service: f.Location.Service,
			URL: f.Location.URL, Method: f.Location.Method, Param: f.Location.Param,
			File: f.Location.File, Line: f.Location.Line, Resource: f.Location.Resource,
		},
		Sources:   f.Sources,
		Status:    string(f.Status),
		FirstSeen: f.FirstSeen,
		LastSeen:  f.LastSeen,
	}
	for _, s := range f.CVSS {
		v.CVSSScore = max(v.CVSSScore, s.Score)
	}
	return v
}

// activation hands the variables to the interpreter without building a map
// per evaluation.
type activation struct {
	asset   *asset
	finding *finding
	scopes  []string
	now     types.Timestamp
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "asset":
		return a.asset, true
	case "finding":
		return a.finding, true
	case "scopes":
		return a.scopes, true
	case "now":
		return a.now, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// envKind selects the variables an expression may use. Scope selectors and
// context rules cannot see scopes (membership is computed from them);
// controls and ownership rules run after membership and can.
type envKind int

const (
	envAsset         envKind = iota // asset, now
	envFinding                      // asset, finding, now
	envScopedAsset                  // asset, scopes, now
	envScopedFinding                // asset, finding, scopes, now
	envKinds
)

// lookupFn is what tags["k"] and attributes["k"] are rewritten to; see
// lenientLookup.
const lookupFn = "@ctem_lookup"

func newEnvs() ([envKinds]*cel.Env, error) {
	var envs [envKinds]*cel.Env
	base, err := cel.NewEnv(
		cel.Types(
			cel.NativeTypeFor[asset](types.ParseStructTags(true)),
			cel.NativeTypeFor[finding](types.ParseStructTags(true)),
		),
		cel.Variable("asset", cel.ObjectType("scope.asset")),
		cel.Variable("now", cel.TimestampType),
		ext.Strings(),
		ext.Sets(),
		cel.OptionalTypes(),
		cel.Function("inCIDR",
			cel.Overload("inCIDR_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(ip, cidr ref.Val) ref.Val {
					p, err := netip.ParsePrefix(string(cidr.(types.String)))
					if err != nil {
						return types.NewErr("inCIDR: %v", err)
					}
					return types.Bool(addrIn(string(ip.(types.String)), p))
				})),
			cel.Overload("inCIDR_list_string", []*cel.Type{cel.ListType(cel.StringType), cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(ips, cidr ref.Val) ref.Val {
					p, err := netip.ParsePrefix(string(cidr.(types.String)))
					if err != nil {
						return types.NewErr("inCIDR: %v", err)
					}
					it := ips.(traits.Lister).Iterator()
					for it.HasNext() == types.True {
						if s, ok := it.Next().(types.String); ok && addrIn(string(s), p) {
							return types.True
						}
					}
					return types.False
				}))),
		cel.Function("isPrivateIP",
			cel.Overload("isPrivateIP_string", []*cel.Type{cel.StringType}, cel.BoolType,
				cel.UnaryBinding(func(ip ref.Val) ref.Val {
					a, err := netip.ParseAddr(string(ip.(types.String)))
					return types.Bool(err == nil && (a.Unmap().IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()))
				}))),
		cel.Function("glob",
			cel.Overload("glob_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(s, pattern ref.Val) ref.Val {
					ok, err := path.Match(string(pattern.(types.String)), string(s.(types.String)))
					if err != nil {
						return types.NewErr("glob: %v", err)
					}
					return types.Bool(ok)
				}))),
		cel.Function(lookupFn,
			cel.Overload("ctem_lookup_map_string", []*cel.Type{cel.MapType(cel.StringType, cel.StringType), cel.StringType}, cel.StringType,
				cel.BinaryBinding(func(m, k ref.Val) ref.Val {
					if v, found := m.(traits.Mapper).Find(k); found {
						return v
					}
					return types.String("")
				}))),
	)
	if err != nil {
		return envs, err
	}
	finding := cel.Variable("finding", cel.ObjectType("scope.finding"))
	scopes := cel.Variable("scopes", cel.ListType(cel.StringType))
	envs[envAsset] = base
	for k, opts := range map[envKind][]cel.EnvOption{
		envFinding:       {finding},
		envScopedAsset:   {scopes},
		envScopedFinding: {finding, scopes},
	} {
		if envs[k], err = base.Extend(opts...); err != nil {
			return envs, err
		}
	}
	return envs, nil
}

// addrIn reports whether s is an IP address inside p; a value that is not an
// address is simply not inside, since identifiers are whatever tools report.
func addrIn(s string, p netip.Prefix) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && p.Contains(a.Unmap())
}

// lenientLookup rewrites asset.tags["env"] and asset.tags.env (and the same
// on attributes) to a lookup that yields "" for a missing key. Plain CEL
// raises "no such key" there, so the selector `asset.tags["env"] != "prod"`
// would fail, rather than match, on every asset without an env tag — the
// opposite of what its author meant. Reading a missing tag as empty is what
// a Go map does and what people expect; has(asset.tags.env) and
// "env" in asset.tags still tell absent from empty.
type lenientLookup struct{}

func (lenientLookup) Optimize(ctx *cel.OptimizerContext, a *ast.AST) *ast.AST {
	isStringMap := func(e ast.Expr) bool {
		t := a.GetType(e.ID())
		return e.Kind() == ast.SelectKind && t.Kind() == types.MapKind &&
			t.Parameters()[0].Kind() == types.StringKind && t.Parameters()[1].Kind() == types.StringKind
	}
	matches := ast.MatchDescendants(ast.NavigateAST(a), func(e ast.NavigableExpr) bool {
		switch e.Kind() {
		case ast.CallKind:
			c := e.AsCall()
			return c.FunctionName() == operators.Index && len(c.Args()) == 2 && isStringMap(c.Args()[0])
		case ast.SelectKind:
			s := e.AsSelect()
			return !s.IsTestOnly() && isStringMap(s.Operand())
		}
		return false
	})
	for _, m := range matches {
		var operand, key ast.Expr
		if m.Kind() == ast.CallKind {
			operand, key = m.AsCall().Args()[0], m.AsCall().Args()[1]
		} else {
			operand, key = m.AsSelect().Operand(), ctx.NewLiteral(types.String(m.AsSelect().FieldName()))
		}
		ctx.UpdateExpr(m, ctx.NewCall(lookupFn, operand, key))
	}
	return a
}

// program is one compiled expression.
type program struct {
	src string
	prg cel.Program
}

// compile parses, type-checks and plans an expression, reporting problems
// at their place in the file. It returns nil for an absent expression and
// for a broken one (the problem is recorded).
func (d *decoder) compile(env *cel.Env, e exprText, field string) *program {
	if strings.TrimSpace(e.Src) == "" {
		return nil
	}
	checked, iss := env.Compile(e.Src)
	if iss.Err() != nil {
		for _, ce := range iss.Errors() {
			d.errAt(d.exprPos(e, ce.Location.Line(), ce.Location.Column()), field, "invalid expression: %s", ce.Message)
		}
		return nil
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		d.errAt(d.exprPos(e, 1, 0), field, "the expression must be true or false (bool), but it gives %s", t)
		return nil
	}
	if !d.checkConstants(checked, e, field) {
		return nil
	}
	opt, err := cel.NewStaticOptimizer(lenientLookup{})
	if err != nil {
		d.errAt(d.exprPos(e, 1, 0), field, "internal error preparing the expression: %v", err)
		return nil
	}
	optimized, iss := opt.Optimize(env, checked)
	if iss.Err() != nil {
		d.errAt(d.exprPos(e, 1, 0), field, "internal error preparing the expression: %v", iss.Err())
		return nil
	}
	prg, err := env.Program(optimized, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		d.errAt(d.exprPos(e, 1, 0), field, "invalid expression: %v", err)
		return nil
	}
	return &program{src: e.Src, prg: prg}
}

// checkConstants validates literal arguments of the helper functions at
// load time, so that inCIDR(ip, "10.0.0.0/33") is a load error with a
// position rather than an evaluation error on every asset.
func (d *decoder) checkConstants(checked *cel.Ast, e exprText, field string) bool {
	a := checked.NativeRep()
	ok := true
	for _, m := range ast.MatchDescendants(ast.NavigateAST(a), ast.KindMatcher(ast.CallKind)) {
		c := m.AsCall()
		if len(c.Args()) != 2 || c.Args()[1].Kind() != ast.LiteralKind {
			continue
		}
		s, isStr := c.Args()[1].AsLiteral().(types.String)
		if !isStr {
			continue
		}
		var msg string
		switch c.FunctionName() {
		case "inCIDR":
			if p, err := netip.ParsePrefix(string(s)); err != nil {
				msg = fmt.Sprintf("%q is not a CIDR such as 10.0.0.0/8", string(s))
			} else if p.Masked() != p {
				msg = fmt.Sprintf("%q has host bits set; did you mean %q?", string(s), p.Masked())
			}
		case "glob":
			if _, err := path.Match(string(s), ""); errors.Is(err, path.ErrBadPattern) {
				msg = fmt.Sprintf("%q is not a valid glob pattern", string(s))
			}
		}
		if msg != "" {
			loc := a.SourceInfo().GetStartLocation(c.Args()[1].ID())
			d.errAt(d.exprPos(e, loc.Line(), loc.Column()), field, "invalid expression: %s", msg)
			ok = false
		}
	}
	return ok
}

// exprPos maps a position inside an expression (CEL line 1-based, column
// 0-based, both in characters) to the file. It is exact for literal blocks
// (|) and for positions on the first source line of a flow value, quoted
// or not (escapes are walked); for folded blocks (>) and later lines of a
// multi-line flow value, whose line breaks YAML rewrites, it falls back to
// where the value starts.
func (d *decoder) exprPos(e exprText, line, col0 int) pos {
	start := pos{e.line, e.col}
	switch e.style &^ yaml.TaggedStyle {
	case yaml.LiteralStyle:
		// The block's indentation is that of its first non-blank line;
		// deeper indentation on later lines is part of the expression.
		ln := e.line + line
		indent := -1
		for i := e.line; i < len(d.lines) && i < ln; i++ {
			if t := strings.TrimLeft(d.lines[i], " "); t != "" {
				indent = len(d.lines[i]) - len(t)
				break
			}
		}
		if ln > len(d.lines) || indent < 0 {
			return start
		}
		return pos{ln, indent + col0 + 1}
	case yaml.FoldedStyle:
		return start
	}
	if line != 1 || e.line < 1 || e.line > len(d.lines) || e.col < 1 {
		return start
	}
	src := []rune(d.lines[e.line-1])
	if e.col-1 > len(src) {
		return start
	}
	raw := src[e.col-1:]
	quote := 0
	if s := e.style &^ yaml.TaggedStyle; s == yaml.SingleQuotedStyle || s == yaml.DoubleQuotedStyle {
		quote = 1
		raw = raw[min(1, len(raw)):]
	}
	n, ok := rawLen(raw, e.style&^yaml.TaggedStyle, col0)
	if !ok {
		return start
	}
	return pos{e.line, e.col + quote + n}
}

// rawLen counts the source characters that spell the first n characters of
// a scalar's value, undoing YAML quoting; false when they are not all on
// this line.
func rawLen(raw []rune, style yaml.Style, n int) (int, bool) {
	i := 0
	for range n {
		if i >= len(raw) {
			return 0, false
		}
		switch {
		case style == yaml.SingleQuotedStyle && raw[i] == '\'':
			if i+1 >= len(raw) || raw[i+1] != '\'' {
				return 0, false // the closing quote
			}
			i += 2
		case style == yaml.DoubleQuotedStyle && raw[i] == '"':
			return 0, false
		case style == yaml.DoubleQuotedStyle && raw[i] == '\\':
			if i+1 >= len(raw) {
				return 0, false
			}
			switch raw[i+1] {
			case 'x':
				i += 4
			case 'u':
				i += 6
			case 'U':
				i += 10
			default:
				i += 2
			}
		default:
			i++
		}
	}
	return i, i <= len(raw)
}

// eval runs a program; a result that is not a bool is an error.
func (p *program) eval(act *activation) (bool, error) {
	if p == nil {
		return false, nil // an absent optional expression; a broken one never loads
	}
	out, _, err := p.prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("expression gave %s, not a bool", out.Type().TypeName())
	}
	return bool(b), nil
}

func timestamp(t time.Time) types.Timestamp { return types.Timestamp{Time: t} }
