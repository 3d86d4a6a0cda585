package scope

import (
	_ "embed"
	"slices"
)

//go:embed example.yaml
var exampleYAML []byte

// ExampleYAML returns a commented ctem.yaml that uses every feature and
// validates; `ctem init` writes it. The caller gets its own copy.
func ExampleYAML() []byte { return slices.Clone(exampleYAML) }
