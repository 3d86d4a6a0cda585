package sarif

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The types below hold only the parts of a SARIF log that the parser uses;
// encoding/json skips everything else while decoding one element at a time.

// text is a lenient string: SARIF producers are not always careful with
// types, and a number or a list where a string belongs should not make a
// whole report unreadable. Lists are joined with ", ".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	// Fast path for the common case, a string without escapes.
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' {
		if inner := b[1 : n-1]; bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
			*t = text(inner)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*t = text(flatten(v))
	return nil
}

// flatten renders a decoded JSON value as text.
func flatten(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := flatten(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// lenientInt accepts a JSON number or a numeric string; anything else is 0.
type lenientInt int

func (n *lenientInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	v := json.Number(s)
	if i, err := v.Int64(); err == nil && i >= 0 && i < 1<<31 {
		*n = lenientInt(i)
		return nil
	}
	if f, err := v.Float64(); err == nil && f >= 0 && f < 1<<31 {
		*n = lenientInt(int(f))
		return nil
	}
	*n = 0
	return nil
}

// optIndex is an optional array index (ruleIndex, toolComponent index):
// set is false when the key is absent or not a valid index.
type optIndex struct {
	set bool
	n   int
}

func (o *optIndex) UnmarshalJSON(b []byte) error {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(string(b)), `"`))
	if err == nil && n >= 0 {
		o.set, o.n = true, n
	}
	return nil
}

// props is a SARIF property bag.
type props map[string]any

// str returns a property as text.
func (p props) str(key string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(flatten(p[key]))
}

// strs returns a property that may be a string or a list of strings.
func (p props) strs(key string) []string {
	if p == nil {
		return nil
	}
	switch x := p[key].(type) {
	case string:
		if strings.TrimSpace(x) != "" {
			return []string{x}
		}
	case []any:
		var out []string
		for _, e := range x {
			if s := strings.TrimSpace(flatten(e)); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

type multiformat struct {
	Text     text `json:"text"`
	Markdown text `json:"markdown"`
}

func (m *multiformat) String() string {
	if m == nil {
		return ""
	}
	if m.Text != "" {
		return string(m.Text)
	}
	return string(m.Markdown)
}

type message struct {
	Text      text   `json:"text"`
	Markdown  text   `json:"markdown"`
	ID        text   `json:"id"`
	Arguments []text `json:"arguments"`
}

// UnmarshalJSON also accepts a bare string, which some producers write
// instead of a message object.
func (m *message) UnmarshalJSON(b []byte) error {
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, `"`) {
		return json.Unmarshal(b, &m.Text)
	}
	type plain message
	return json.Unmarshal(b, (*plain)(m))
}

type reportingConfiguration struct {
	Level text `json:"level"`
}

type relationship struct {
	Target struct {
		ID            text `json:"id"`
		ToolComponent struct {
			Name text `json:"name"`
		} `json:"toolComponent"`
	} `json:"target"`
}

type descriptor struct {
	ID                   text                    `json:"id"`
	Name                 text                    `json:"name"`
	ShortDescription     *multiformat            `json:"shortDescription"`
	FullDescription      *multiformat            `json:"fullDescription"`
	Help                 *multiformat            `json:"help"`
	HelpURI              text                    `json:"helpUri"`
	MessageStrings       map[string]multiformat  `json:"messageStrings"`
	DefaultConfiguration *reportingConfiguration `json:"defaultConfiguration"`
	Relationships        []relationship          `json:"relationships"`
	Properties           props                   `json:"properties"`
}

type toolComponent struct {
	Name                 text                   `json:"name"`
	FullName             text                   `json:"fullName"`
	Version              text                   `json:"version"`
	SemanticVersion      text                   `json:"semanticVersion"`
	Rules                []descriptor           `json:"rules"`
	GlobalMessageStrings map[string]multiformat `json:"globalMessageStrings"`
}

type tool struct {
	Driver     toolComponent   `json:"driver"`
	Extensions []toolComponent `json:"extensions"`
}

type vcsDetails struct {
	RepositoryURI text `json:"repositoryUri"`
	RevisionID    text `json:"revisionId"`
	Branch        text `json:"branch"`
}

type artifact struct {
	Location struct {
		URI text `json:"uri"`
	} `json:"location"`
}

type snippet struct {
	Text text `json:"text"`
}

type region struct {
	StartLine  lenientInt      `json:"startLine"`
	EndLine    lenientInt      `json:"endLine"`
	ByteOffset json.RawMessage `json:"byteOffset"`
	Snippet    *snippet        `json:"snippet"`
}

type physicalLocation struct {
	ArtifactLocation *struct {
		URI   text     `json:"uri"`
		Index optIndex `json:"index"`
	} `json:"artifactLocation"`
	Region        *region `json:"region"`
	ContextRegion *region `json:"contextRegion"`
}

type logicalLocation struct {
	FullyQualifiedName text `json:"fullyQualifiedName"`
	Name               text `json:"name"`
}

type location struct {
	PhysicalLocation *physicalLocation `json:"physicalLocation"`
	LogicalLocations []logicalLocation `json:"logicalLocations"`
}

type suppression struct {
	Kind          text `json:"kind"`
	Status        text `json:"status"`
	State         text `json:"state"` // pre-release 2.1.0 drafts (appendix K) spell status "state"
	Justification text `json:"justification"`
}

type ruleReference struct {
	ID            text     `json:"id"`
	Index         optIndex `json:"index"`
	ToolComponent *struct {
		Name  text     `json:"name"`
		Index optIndex `json:"index"`
	} `json:"toolComponent"`
}

type fix struct {
	Description multiformat `json:"description"`
}

type taxon struct {
	ID            text `json:"id"`
	ToolComponent struct {
		Name text `json:"name"`
	} `json:"toolComponent"`
}

type result struct {
	RuleID              text            `json:"ruleId"`
	RuleIndex           optIndex        `json:"ruleIndex"`
	Rule                *ruleReference  `json:"rule"`
	Kind                text            `json:"kind"`
	Level               text            `json:"level"`
	Message             message         `json:"message"`
	Locations           []location      `json:"locations"`
	Fingerprints        map[string]text `json:"fingerprints"`
	PartialFingerprints map[string]text `json:"partialFingerprints"`
	Suppressions        []suppression   `json:"suppressions"`
	BaselineState       text            `json:"baselineState"`
	Fixes               []fix           `json:"fixes"`
	Taxa                []taxon         `json:"taxa"`
	Properties          props           `json:"properties"`
}
