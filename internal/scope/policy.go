package scope

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/ctemhq/ctem/internal/prioritize"
)

// rawPolicy keeps the `prioritization` section as written: its schema is
// prioritize.PolicyConfig's, decoded and validated by that package.
type rawPolicy struct {
	node *yaml.Node
	line int
	col  int
}

func (p *rawPolicy) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "a mapping of policy settings (see docs/prioritization.md)")
		return
	}
	*p = rawPolicy{node: n, line: n.Line, col: n.Column}
}

// policy decodes and validates the section strictly (unknown keys are
// errors) into a compiled policy; without the section, the default.
func (d *decoder) policy(p rawPolicy) prioritize.Policy {
	if p.node == nil {
		return prioritize.DefaultPolicy()
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(p.node); err != nil {
		d.errAt(pos{p.line, p.col}, "prioritization", "%v", err)
		return prioritize.DefaultPolicy()
	}
	cfg := prioritize.DefaultConfig()
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		d.errAt(pos{p.line, p.col}, "prioritization", "%s", cleanYAMLError(err, p.line))
		return prioritize.DefaultPolicy()
	}
	pol, err := prioritize.NewPolicy(cfg)
	if err != nil {
		d.errAt(pos{p.line, p.col}, "prioritization", "%v", err)
		return prioritize.DefaultPolicy()
	}
	return pol
}

// cleanYAMLError re-bases the line numbers of an error from decoding the
// re-encoded section onto the file (the section starts at line base).
func cleanYAMLError(err error, base int) string {
	msgs := []string{fmt.Sprint(err)}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for i, m := range msgs {
		msgs[i] = yamlLine.ReplaceAllStringFunc(m, func(s string) string {
			n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(s)[1])
			return fmt.Sprintf("line %d:", base+n-1)
		})
	}
	return strings.Join(msgs, "; ")
}

var yamlLine = regexp.MustCompile(`line (\d+):`)

// Policy is the prioritization policy: the default, or the one the
// `prioritization` section configures.
func (c *Config) Policy() prioritize.Policy { return c.policy }
