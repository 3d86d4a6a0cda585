package scope

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// The schema is the set of raw* structs in schema.go; this file walks a
// yaml.Node tree against them by reflection. Doing it by hand rather than
// with yaml.Unmarshal is what lets every problem carry its line, column and
// field path, lets one run report all problems instead of the first, and
// keeps the schema in one place that the documentation test can enumerate.
//
// Struct tags:
//
//	cfg:"name"            the YAML key
//	cfg:"name,required"   the key must be present and not empty
//	enum:"a|b|c"          a string field must be one of these values

// maxNodes bounds the nodes one load visits. Aliases are expanded as they
// are met, so a few lines of anchors could otherwise describe billions of
// nodes.
const maxNodes = 200_000

// pos is where a value sits in the file (1-based).
type pos struct{ line, col int }

type decoder struct {
	file  string
	lines []string // the source, for mapping expression positions
	probs []Problem
	at    map[string]pos  // field path -> position of its value
	bad   map[string]bool // field paths whose value had the wrong type
	nodes int
}

func newDecoder(file string, data []byte) *decoder {
	return &decoder{file: file, lines: strings.Split(string(data), "\n"), at: map[string]pos{}, bad: map[string]bool{}}
}

// errAt records a problem at an explicit position.
func (d *decoder) errAt(p pos, field, format string, args ...any) {
	d.probs = append(d.probs, Problem{File: d.file, Line: p.line, Column: p.col, Field: field, Message: fmt.Sprintf(format, args...)})
}

// errorf records a problem at the position of a field path, or of its
// nearest enclosing value when the field itself is absent.
func (d *decoder) errorf(field, format string, args ...any) {
	d.errAt(d.posOf(field), field, format, args...)
}

func (d *decoder) posOf(field string) pos {
	for f := field; f != ""; f = parentPath(f) {
		if p, ok := d.at[f]; ok {
			return p
		}
	}
	return pos{}
}

// set reports whether a field was given a value of the right type; checks
// of its range or references skip fields already reported as mistyped, so
// one mistake is one problem.
func (d *decoder) set(field string) bool {
	_, ok := d.at[field]
	return ok && !d.bad[field]
}

// parentPath strips the last element: a.b[2].c -> a.b[2] -> a.b -> a -> "".
func parentPath(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i < 0 {
		return ""
	}
	return f[:i]
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// nodeDecoder is implemented by leaf types that read themselves from a node
// (expressions, dates).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// deref follows aliases; nil means the node budget is spent.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	d.nodes++
	if d.nodes == maxNodes {
		d.errAt(pos{n.Line, n.Column}, "", "the file expands to more than %d YAML nodes (check anchors and aliases)", maxNodes)
	}
	if d.nodes >= maxNodes {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "expected X, found Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!timestamp":
			return "the date " + n.Value
		case "!!str":
			return "the string " + strconv.Quote(clip(n.Value, 40))
		}
		return "the value " + strconv.Quote(clip(n.Value, 40))
	}
	return "an unexpected YAML node"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (d *decoder) typeErr(n *yaml.Node, path, want string) {
	d.bad[path] = true
	d.errAt(pos{n.Line, n.Column}, path, "expected %s, found %s", want, describe(n))
}

// decode reads n into v, recording the position of every value it meets.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n = d.deref(n); n == nil {
		return
	}
	if path != "" {
		d.at[path] = pos{n.Line, n.Column}
	}
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		if !isNull(n) {
			nd.decodeNode(d, n, path)
		}
		return
	}
	if isNull(n) {
		return // an empty value is the same as an absent key
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.decode(n, e.Elem(), path)
		v.Set(e)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeErr(n, path, "a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			// An empty list element ("- " alone) is a mistake, not an
			// absent value: there is no key to leave out.
			if c := d.deref(c); c != nil && isNull(c) {
				d.at[ip] = pos{c.Line, c.Column}
				d.typeErr(c, ip, "a value")
				continue
			}
			d.decode(c, s.Index(i), ip)
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			want := "a string"
			if n.Kind == yaml.ScalarNode {
				want = "a string (quote the value)"
			}
			d.typeErr(n, path, want)
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.typeErr(n, path, "an integer")
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 32)
		if err != nil {
			d.typeErr(n, path, "an integer that fits in 32 bits")
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || err != nil {
			d.typeErr(n, path, "true or false")
			return
		}
		v.SetBool(b)
	default:
		panic("scope: schema uses unsupported kind " + v.Kind().String())
	}
}

// key reads a mapping key; keys are plain strings in this schema.
func (d *decoder) key(n *yaml.Node, path string) (string, bool) {
	if n = d.deref(n); n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errAt(pos{n.Line, n.Column}, path, "expected a key, found %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "a mapping")
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, ok := d.key(n.Content[i], path)
		if !ok {
			continue
		}
		kp := joinPath(path, k)
		if l, dup := first[k]; dup {
			d.errAt(pos{n.Content[i].Line, n.Content[i].Column}, kp, "duplicate key %q (first at line %d)", k, l)
			continue
		}
		first[k] = n.Content[i].Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i+1], e, kp)
		m.SetMapIndex(reflect.ValueOf(k), e)
	}
	v.Set(m)
}

// schemaField is one key of a struct in the schema.
type schemaField struct {
	key      string
	index    int
	required bool
	enum     []string
}

func schemaFields(t reflect.Type) []schemaField {
	var fs []schemaField
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("cfg")
		if !ok {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := schemaField{key: name, index: i, required: opts == "required"}
		if e := t.Field(i).Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, "|")
		}
		fs = append(fs, f)
	}
	return fs
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields := schemaFields(v.Type())
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "a mapping")
		return
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		k, ok := d.key(kn, path)
		if !ok {
			continue
		}
		kp := joinPath(path, k)
		kpos := pos{kn.Line, kn.Column}
		if l, dup := first[k]; dup {
			d.errAt(kpos, kp, "duplicate key %q (first at line %d)", k, l)
			continue
		}
		first[k] = kn.Line
		j := slices.Index(keys, k)
		if j < 0 {
			d.errAt(kpos, kp, "%s", unknownKey(k, keys))
			continue
		}
		f := fields[j]
		fv := v.Field(f.index)
		d.decode(n.Content[i+1], fv, kp)
		if f.enum != nil && fv.Kind() == reflect.String && fv.String() != "" && !slices.Contains(f.enum, fv.String()) {
			d.errorf(kp, "expected one of %s, found %q", strings.Join(f.enum, ", "), fv.String())
		}
	}
	for _, f := range fields {
		if !f.required {
			continue
		}
		kp := joinPath(path, f.key)
		if _, present := first[f.key]; !present {
			d.errAt(pos{n.Line, n.Column}, kp, "missing required key %q", f.key)
		} else if fv := v.Field(f.index); fv.IsZero() && fv.Kind() != reflect.Struct && !d.bad[kp] {
			// Empty structs get a specific message from the semantic checks.
			d.errorf(kp, "must not be empty")
		}
	}
}

func unknownKey(k string, keys []string) string {
	if k == "<<" {
		return "YAML merge keys (<<) are not supported; write the keys out"
	}
	// Suggest only close matches: one edit in a short key, two in a long
	// one ("a" is not a typo of "sla").
	best, bestD := "", min(3, max(2, len(k)/3+1))
	for _, c := range keys {
		if dist := editDistance(k, c); dist < bestD {
			best, bestD = c, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key %q; did you mean %q?", k, best)
	}
	return fmt.Sprintf("unknown key %q; expected one of: %s", k, strings.Join(keys, ", "))
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // long keys are not typos of short ones; skip the quadratic work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// exprText is a CEL expression as written in the file, with what is needed
// to map a position inside the expression back to the file.
type exprText struct {
	Src   string
	line  int
	col   int
	style yaml.Style
}

func (e *exprText) decodeNode(d *decoder, n *yaml.Node, path string) {
	// A bare true or false is a valid expression; YAML reads it as a boolean.
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!bool") {
		d.typeErr(n, path, "a CEL expression (a string)")
		return
	}
	*e = exprText{Src: n.Value, line: n.Line, col: n.Column, style: n.Style}
}

// dateText is a day ("2026-06-30") or an RFC 3339 instant.
type dateText struct {
	T      time.Time
	DayEnd bool   // a bare day: it lasts until the end of that day, UTC
	Src    string // as written, for messages
}

func (t *dateText) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!str" || n.ShortTag() == "!!timestamp") {
		if day, err := time.Parse(time.DateOnly, n.Value); err == nil {
			*t = dateText{T: day, DayEnd: true, Src: n.Value}
			return
		}
		if ts, err := time.Parse(time.RFC3339, n.Value); err == nil {
			*t = dateText{T: ts, Src: n.Value}
			return
		}
	}
	d.typeErr(n, path, "a date such as 2026-06-30 or an RFC 3339 time such as 2026-06-30T18:00:00Z")
}
