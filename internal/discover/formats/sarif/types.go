package sarif

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
)

// The types below hold only the parts of a SARIF log that the parser uses;
// encoding/json skips everything else while decoding one element at a time.

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
	return strings.TrimSpace(jsonx.Flatten(p[key]))
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
			if s := strings.TrimSpace(jsonx.Flatten(e)); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

type multiformat struct {
	Text     jsonx.Text `json:"text"`
	Markdown jsonx.Text `json:"markdown"`
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
	Text      jsonx.Text   `json:"text"`
	Markdown  jsonx.Text   `json:"markdown"`
	ID        jsonx.Text   `json:"id"`
	Arguments []jsonx.Text `json:"arguments"`
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
	Level jsonx.Text `json:"level"`
}

type relationship struct {
	Target struct {
		ID            jsonx.Text `json:"id"`
		ToolComponent struct {
			Name jsonx.Text `json:"name"`
		} `json:"toolComponent"`
	} `json:"target"`
}

type descriptor struct {
	ID                   jsonx.Text              `json:"id"`
	Name                 jsonx.Text              `json:"name"`
	ShortDescription     *multiformat            `json:"shortDescription"`
	FullDescription      *multiformat            `json:"fullDescription"`
	Help                 *multiformat            `json:"help"`
	HelpURI              jsonx.Text              `json:"helpUri"`
	MessageStrings       map[string]multiformat  `json:"messageStrings"`
	DefaultConfiguration *reportingConfiguration `json:"defaultConfiguration"`
	Relationships        []relationship          `json:"relationships"`
	Properties           props                   `json:"properties"`
}

type toolComponent struct {
	Name                 jsonx.Text             `json:"name"`
	FullName             jsonx.Text             `json:"fullName"`
	Version              jsonx.Text             `json:"version"`
	SemanticVersion      jsonx.Text             `json:"semanticVersion"`
	Rules                []descriptor           `json:"rules"`
	GlobalMessageStrings map[string]multiformat `json:"globalMessageStrings"`
}

type tool struct {
	Driver     toolComponent   `json:"driver"`
	Extensions []toolComponent `json:"extensions"`
}

type vcsDetails struct {
	RepositoryURI jsonx.Text `json:"repositoryUri"`
	RevisionID    jsonx.Text `json:"revisionId"`
	Branch        jsonx.Text `json:"branch"`
}

type artifact struct {
	Location struct {
		URI jsonx.Text `json:"uri"`
	} `json:"location"`
}

type snippet struct {
	Text jsonx.Text `json:"text"`
}

type region struct {
	StartLine  lenientInt      `json:"startLine"`
	EndLine    lenientInt      `json:"endLine"`
	ByteOffset json.RawMessage `json:"byteOffset"`
	Snippet    *snippet        `json:"snippet"`
}

type physicalLocation struct {
	ArtifactLocation *struct {
		URI   jsonx.Text `json:"uri"`
		Index optIndex   `json:"index"`
	} `json:"artifactLocation"`
	Region        *region `json:"region"`
	ContextRegion *region `json:"contextRegion"`
}

type logicalLocation struct {
	FullyQualifiedName jsonx.Text `json:"fullyQualifiedName"`
	Name               jsonx.Text `json:"name"`
}

type location struct {
	PhysicalLocation *physicalLocation `json:"physicalLocation"`
	LogicalLocations []logicalLocation `json:"logicalLocations"`
}

type suppression struct {
	Kind          jsonx.Text `json:"kind"`
	Status        jsonx.Text `json:"status"`
	State         jsonx.Text `json:"state"` // pre-release 2.1.0 drafts (appendix K) spell status "state"
	Justification jsonx.Text `json:"justification"`
}

type ruleReference struct {
	ID            jsonx.Text `json:"id"`
	Index         optIndex   `json:"index"`
	ToolComponent *struct {
		Name  jsonx.Text `json:"name"`
		Index optIndex   `json:"index"`
	} `json:"toolComponent"`
}

type fix struct {
	Description multiformat `json:"description"`
}

type taxon struct {
	ID            jsonx.Text `json:"id"`
	ToolComponent struct {
		Name jsonx.Text `json:"name"`
	} `json:"toolComponent"`
}

type result struct {
	RuleID              jsonx.Text            `json:"ruleId"`
	RuleIndex           optIndex              `json:"ruleIndex"`
	Rule                *ruleReference        `json:"rule"`
	Kind                jsonx.Text            `json:"kind"`
	Level               jsonx.Text            `json:"level"`
	Message             message               `json:"message"`
	Locations           []location            `json:"locations"`
	Fingerprints        map[string]jsonx.Text `json:"fingerprints"`
	PartialFingerprints map[string]jsonx.Text `json:"partialFingerprints"`
	Suppressions        []suppression         `json:"suppressions"`
	BaselineState       jsonx.Text            `json:"baselineState"`
	Fixes               []fix                 `json:"fixes"`
	Taxa                []taxon               `json:"taxa"`
	Properties          props                 `json:"properties"`
}
