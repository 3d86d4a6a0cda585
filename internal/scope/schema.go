package scope

import "reflect"

// The raw* structs are the ctem.yaml schema, exactly as written in the file.
// decode.go reads them by reflection, config.go turns them into the checked,
// compiled types of the public API, and the documentation test walks them to
// check that docs/configuration.md names every key.

type rawConfig struct {
	Version      int          `cfg:"version"`
	Database     string       `cfg:"database"`
	Server       rawServer    `cfg:"server"`
	Log          rawLog       `cfg:"log"`
	SLA          rawSLA       `cfg:"sla"`
	Scopes       []rawScope   `cfg:"scopes"`
	ContextRules []rawRule    `cfg:"context_rules"`
	Zones        []rawZone    `cfg:"zones"`
	Flows        []rawFlow    `cfg:"flows"`
	Controls     []rawControl `cfg:"controls"`
	Teams        []rawTeam    `cfg:"teams"`
	Owners       []rawOwner   `cfg:"owners"`
	// Prioritization overrides the default prioritization policy; its keys
	// are prioritize.PolicyConfig's (docs/prioritization.md).
	Prioritization rawPolicy `cfg:"prioritization"`
}

type rawServer struct {
	Listen string `cfg:"listen"`
}

type rawLog struct {
	Format string `cfg:"format" enum:"text|json"`
	Level  string `cfg:"level" enum:"debug|info|warn|warning|error"`
}

// rawSLA is days to fix per priority band; pointers tell "not set" from 0.
type rawSLA struct {
	P1 *int `cfg:"P1"`
	P2 *int `cfg:"P2"`
	P3 *int `cfg:"P3"`
	P4 *int `cfg:"P4"`
}

type rawScope struct {
	Name        string   `cfg:"name,required"`
	Description string   `cfg:"description"`
	Assets      exprText `cfg:"assets,required"`
	Findings    exprText `cfg:"findings"`
	Exclude     exprText `cfg:"exclude"`
	Criticality int      `cfg:"criticality"`
	CrownJewel  bool     `cfg:"crown_jewel"`
	Regulatory  []string `cfg:"regulatory"`
	SLA         rawSLA   `cfg:"sla"`
}

type rawRule struct {
	Name        string   `cfg:"name,required"`
	Description string   `cfg:"description"`
	When        exprText `cfg:"when,required"`
	Set         rawSet   `cfg:"set,required"`
}

type rawSet struct {
	Tags            map[string]string `cfg:"tags"`
	Criticality     *int              `cfg:"criticality"`
	InternetExposed *bool             `cfg:"internet_exposed"`
	CrownJewel      *bool             `cfg:"crown_jewel"`
	Owner           string            `cfg:"owner"`
}

type rawZone struct {
	Name        string   `cfg:"name,required"`
	Description string   `cfg:"description"`
	CIDRs       []string `cfg:"cidrs"`
	VPCs        []string `cfg:"vpcs"`
	Subnets     []string `cfg:"subnets"`
	CrownJewels bool     `cfg:"crown_jewels"`
}

type rawFlow struct {
	From        string   `cfg:"from,required"`
	To          string   `cfg:"to,required"`
	Ports       []string `cfg:"ports,required"`
	Description string   `cfg:"description"`
}

type rawControl struct {
	Name      string   `cfg:"name,required"`
	Kind      string   `cfg:"kind,required" enum:"waf|edr|segmentation|feature_disabled|other"`
	AppliesTo exprText `cfg:"applies_to,required"`
	Findings  exprText `cfg:"findings"`
	Effect    string   `cfg:"effect,required" enum:"removes_internet_exposure|reduces_impact|removes_precondition|detect_only"`
	Evidence  string   `cfg:"evidence"`
	Owner     string   `cfg:"owner"`
	Verified  dateText `cfg:"verified"`
	Expires   dateText `cfg:"expires"`
}

type rawTeam struct {
	Name        string     `cfg:"name,required"`
	Description string     `cfg:"description"`
	Members     []string   `cfg:"members"`
	Contact     string     `cfg:"contact"`
	Tracker     rawTracker `cfg:"tracker"`
	Notify      rawNotify  `cfg:"notify"`
}

type rawTracker struct {
	Kind            string `cfg:"kind,required" enum:"jira|github|servicenow"`
	Project         string `cfg:"project"`
	Repository      string `cfg:"repository"`
	AssignmentGroup string `cfg:"assignment_group"`
}

type rawNotify struct {
	Slack   string `cfg:"slack"`
	Email   string `cfg:"email"`
	Webhook string `cfg:"webhook"`
}

type rawOwner struct {
	Name string   `cfg:"name,required"`
	When exprText `cfg:"when,required"`
	Team string   `cfg:"team,required"`
}

// SchemaKeys lists every key ctem.yaml accepts as a path, list elements
// marked with []: "scopes[].sla.P1". Free-form maps (context_rules[].set.tags)
// are listed as themselves.
// The documentation test checks that docs/configuration.md names each one;
// `ctem config` commands may use it for completion.
func SchemaKeys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range schemaFields(t) {
			p := joinPath(prefix, f.key)
			keys = append(keys, p)
			ft := t.Field(f.index).Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p+"[]")
			case ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(reflect.TypeFor[nodeDecoder]()):
				walk(ft, p)
			}
		}
	}
	walk(reflect.TypeFor[rawConfig](), "")
	return keys
}
