package ctemgeneric

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocNamesEveryField checks the documentation against the parser's own
// tables: every CSV column and JSON key the parser accepts is documented,
// and every column the documentation's table lists is accepted.
func TestDocNamesEveryField(t *testing.T) {
	b, err := os.ReadFile("../../../../docs/generic-format.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "### Columns")
	end := strings.Index(doc, "### Complete CSV example")
	if start < 0 || end < start {
		t.Fatal("no Columns section in the documentation")
	}
	documented := map[string]bool{}
	code := regexp.MustCompile("`([a-z0-9_<>]+)`")
	for _, line := range strings.Split(doc[start:end], "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(strings.Split(line, "|")[1], -1) {
			documented[m[1]] = true
		}
	}
	for name := range csvColumns {
		if !documented[name] {
			t.Errorf("CSV column %q is accepted but not in the documentation's table", name)
		}
	}
	for name := range documented {
		if name == "attr_<name>" {
			name = "attr_os"
		}
		if _, _, ok := headerColumn(name); !ok {
			t.Errorf("the documentation lists CSV column %q, which the parser rejects", name)
		}
	}
	var keys []string
	keys = append(keys, findingKeys...)
	keys = append(keys, assetKeys...)
	keys = append(keys, componentKeys...)
	keys = append(keys, locationKeys...)
	for _, k := range idKinds {
		keys = append(keys, string(k))
	}
	for _, k := range keys {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("JSON key %q is not in the documentation", k)
		}
	}
}
