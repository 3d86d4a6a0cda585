package scope

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The documentation must name every key of the schema, and every value of
// every enumeration, so that a key added to schema.go without docs fails.
func TestDocsCoverSchema(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range SchemaKeys() {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/configuration.md does not name `%s`", k)
		}
	}
	for _, v := range enumValues(reflect.TypeFor[rawConfig]()) {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("docs/configuration.md does not name the value `%s`", v)
		}
	}
	for _, v := range regulatoryTags {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("docs/configuration.md does not name the regulatory tag `%s`", v)
		}
	}
}

func enumValues(t reflect.Type) []string {
	var out []string
	for _, f := range schemaFields(t) {
		out = append(out, f.enum...)
		ft := t.Field(f.index).Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(reflect.TypeFor[nodeDecoder]()) {
			out = append(out, enumValues(ft)...)
		}
	}
	return out
}

// The example `ctem init` writes must validate and show every key.
func TestExample(t *testing.T) {
	c, err := Parse("ctem.yaml", ExampleYAML(), testNow)
	if err != nil {
		t.Fatalf("the example does not validate:\n%v", err)
	}
	if w := c.Warnings(); len(w) > 0 {
		t.Errorf("the example has warnings: %v", w)
	}
	d := newDecoder("ctem.yaml", ExampleYAML())
	root, err := loadYAML(ExampleYAML())
	if err != nil {
		t.Fatal(err)
	}
	var raw rawConfig
	d.decode(root, reflect.ValueOf(&raw).Elem(), "")
	index := regexp.MustCompile(`\[\d+\]`)
	var used []string
	for p := range d.at {
		used = append(used, index.ReplaceAllString(p, "[]"))
	}
	for _, k := range SchemaKeys() {
		if !slices.Contains(used, k) {
			t.Errorf("the example does not use %s", k)
		}
	}
	for _, v := range enumValues(reflect.TypeFor[rawConfig]()) {
		if v == "warning" || v == "text" || v == "json" || strings.HasPrefix(v, "debug") || v == "warn" || v == "error" || v == "info" {
			continue // log settings: one value is enough
		}
		if !strings.Contains(string(ExampleYAML()), v) {
			t.Errorf("the example does not use the value %s", v)
		}
	}
	// Callers may change their copy.
	ExampleYAML()[0] = 'X'
	if ExampleYAML()[0] == 'X' {
		t.Error("ExampleYAML returns shared bytes")
	}
}
