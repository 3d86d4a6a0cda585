// Package wiz parses Wiz CSV exports: the Issues report (one row per issue
// on a cloud or Kubernetes resource) and the vulnerability findings report
// (one row per CVE or advisory in a package on a cloud asset). Both land on
// cloud_resource assets named by the provider's own resource id.
package wiz

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the Wiz CSV parser.
type Format struct{}

// New returns the Wiz format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "wiz" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string {
	return "Wiz CSV export (Issues report or vulnerability findings report)"
}

var bom = []byte{0xEF, 0xBB, 0xBF}

const (
	layoutIssues = "issues"
	layoutVulns  = "vulns"
)

func layout(cols map[string]int) string {
	has := func(n string) bool { _, ok := cols[n]; return ok }
	switch {
	case has("issue id") && has("control id") && has("resource external id") && has("title"):
		return layoutIssues
	case has("wizurl") && has("provideruniqueid") && has("detailedname") && has("name"):
		return layoutVulns
	}
	return ""
}

// Detect recognizes either export by its header row.
func (Format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(bytes.TrimRight(line, "\r")))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return 0
	}
	if layout(csvx.Header(rec)) != "" {
		return 95
	}
	return 0
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return csvx.Error(cr, err, "a Wiz CSV header")
	}
	cols := csvx.Header(head)
	kind := layout(cols)
	if kind == "" {
		return report.AtLine(1, 1, errors.New("expected a Wiz Issues or vulnerability findings CSV header"))
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	p := &parser{sink: sink, assets: map[string]bool{}, seen: map[string]bool{}}
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvx.Error(cr, err, "a Wiz CSV header")
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if kind == layoutIssues {
			err = p.issue(rec, get)
		} else {
			err = p.vuln(rec, get)
		}
		if err != nil {
			return err
		}
	}
}

type getter func([]string, string) string

type parser struct {
	sink   report.Sink
	assets map[string]bool
	seen   map[string]bool
}

func (p *parser) asset(a report.AssetRef) (string, error) {
	key := a.Name
	for _, id := range a.Identifiers {
		key += "|" + string(id.Kind) + "=" + id.Value
	}
	if !p.assets[key] {
		p.assets[key] = true
		if err := p.sink.Asset(a); err != nil {
			return "", err
		}
	}
	return key, nil
}

// resourceID classifies a provider id: AWS ARNs, anything else (Azure
// resource ids, GCP self links, Kubernetes paths) as a cloud id.
func resourceID(id string) model.Identifier {
	if strings.HasPrefix(id, "arn:") {
		return model.Identifier{Kind: model.IDARN, Value: id}
	}
	return model.Identifier{Kind: model.IDCloudID, Value: id}
}

// resolved reports Wiz's "this is fixed": such rows are left out (their
// resource still counts as covered) so that the lifecycle closes them.
func resolved(status string) bool {
	s := strings.ToLower(strings.TrimSpace(status))
	return s == "resolved" || s == "fixed"
}

// identityTypes are resource types that are principals: their issues are
// identity weaknesses rather than configuration of infrastructure.
var identityTypes = []string{"user", "serviceaccount", "group", "role", "serviceprincipal", "managedidentity", "accesskey"}

func isIdentity(resourceType string) bool {
	t := strings.ToLower(resourceType)
	if i := strings.LastIndex(t, "/"); i >= 0 {
		t = t[i+1:]
	}
	t = strings.ReplaceAll(strings.ReplaceAll(t, " ", ""), "_", "")
	for _, it := range identityTypes {
		if t == it || strings.HasSuffix(t, it) && strings.Contains(t, "iam") {
			return true
		}
	}
	return false
}

// ---- Issues report ----

func (p *parser) issue(rec []string, get getter) error {
	extID := get(rec, "resource external id")
	name := get(rec, "resource name")
	ref := report.AssetRef{Kind: model.AssetCloud, Name: name}
	if extID != "" {
		ref.Identifiers = append(ref.Identifiers, resourceID(extID))
	} else if v := get(rec, "resource vertex id"); v != "" {
		// No provider id (some Kubernetes objects): Wiz's own graph id.
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDCloudID, Value: "wiz:" + v})
	}
	if len(ref.Identifiers) == 0 {
		return nil
	}
	if ref.Name == "" {
		ref.Name = ref.Identifiers[0].Value
	}
	attrs := map[string]string{}
	assetref.SetAttr(attrs, "resource_type", get(rec, "resource type"))
	assetref.SetAttr(attrs, "region", get(rec, "resource region"))
	assetref.SetAttr(attrs, "platform", get(rec, "resource platform"))
	assetref.SetAttr(attrs, "os", get(rec, "resource os"))
	assetref.SetAttr(attrs, "account", get(rec, "subscription id"))
	assetref.SetAttr(attrs, "account_name", get(rec, "subscription name"))
	assetref.SetAttr(attrs, "cluster", get(rec, "kubernetes cluster"))
	assetref.SetAttr(attrs, "namespace", get(rec, "kubernetes namespace"))
	if len(attrs) > 0 {
		ref.Attributes = attrs
	}
	akey, err := p.asset(ref)
	if err != nil {
		return err
	}
	if resolved(get(rec, "status")) {
		return nil
	}
	control := get(rec, "control id")
	issueID := get(rec, "issue id")
	toolID := control
	if toolID == "" {
		toolID = issueID
	}
	key := akey + "|" + toolID
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true
	sevWord := get(rec, "severity")
	f := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       strings.Join(strings.Fields(get(rec, "title")), " "),
		Description: report.Truncate(get(rec, "description"), 16<<10),
		Severity:    report.SeverityOr(sevWord, model.SevInfo),
		RuleID:      control,
		Remediation: report.Truncate(get(rec, "remediation recommendation"), 16<<10),
		Location:    model.Location{Resource: extID},
	}
	if isIdentity(get(rec, "resource type")) {
		f.Kind = model.KindIdentityWeakness
	}
	if u := get(rec, "wiz url"); strings.HasPrefix(u, "https://") {
		f.References = []string{u}
	}
	ev := "Wiz issue " + issueID
	if s := get(rec, "status"); s != "" {
		ev += " (" + s + ")"
	}
	return p.sink.Observe(report.Observation{
		Asset:        ref,
		ToolID:       toolID,
		ToolSeverity: sevWord,
		Evidence:     ev,
		Finding:      f,
	})
}

// ---- vulnerability findings report ----

func (p *parser) vuln(rec []string, get getter) error {
	provider := get(rec, "provideruniqueid")
	ref := report.AssetRef{Kind: model.AssetCloud, Name: get(rec, "assetname")}
	if provider != "" {
		ref.Identifiers = append(ref.Identifiers, resourceID(provider))
	} else if id := get(rec, "assetid"); id != "" {
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDCloudID, Value: "wiz:" + id})
	}
	for _, ip := range strings.FieldsFunc(get(rec, "ipaddresses"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if id, ok := hostid.Address(ip); ok {
			ref.Identifiers = append(ref.Identifiers, id)
		}
	}
	if len(ref.Identifiers) == 0 {
		return nil
	}
	if ref.Name == "" {
		ref.Name = ref.Identifiers[0].Value
	}
	attrs := map[string]string{}
	assetref.SetAttr(attrs, "region", get(rec, "assetregion"))
	assetref.SetAttr(attrs, "platform", get(rec, "cloudplatform"))
	assetref.SetAttr(attrs, "account", get(rec, "subscriptionexternalid"))
	assetref.SetAttr(attrs, "account_name", get(rec, "subscriptionname"))
	assetref.SetAttr(attrs, "os", get(rec, "operatingsystem"))
	if len(attrs) > 0 {
		ref.Attributes = attrs
	}
	akey, err := p.asset(ref)
	if err != nil {
		return err
	}
	if resolved(get(rec, "findingstatus")) {
		return nil
	}
	vulnName := get(rec, "name")
	pkg, version, path := get(rec, "detailedname"), get(rec, "version"), get(rec, "locationpath")
	key := strings.Join([]string{akey, vulnName, pkg, version, path}, "|")
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true
	sevWord := get(rec, "vendorseverity")
	if sevWord == "" {
		sevWord = get(rec, "cvssseverity")
	}
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Severity:    report.SeverityOr(sevWord, model.SevInfo),
		Remediation: report.Truncate(get(rec, "remediation"), 16<<10),
		Component: model.Component{
			Name:         pkg,
			Version:      version,
			FixedVersion: get(rec, "fixedversion"),
			Path:         path,
		},
	}
	f.VulnID, f.Aliases = report.VulnIDs(vulnName)
	switch {
	case pkg != "" && vulnName != "":
		f.Title = pkg + ": " + vulnName
	case vulnName != "":
		f.Title = vulnName
	default:
		f.Title = pkg
	}
	if l := get(rec, "link"); strings.HasPrefix(l, "http") {
		f.References = []string{l}
	}
	ev := strings.TrimSpace("Detected by " + get(rec, "detectionmethod"))
	if path != "" {
		ev += " at " + path
	}
	return p.sink.Observe(report.Observation{
		Asset:        ref,
		ToolID:       vulnName,
		ToolSeverity: sevWord,
		Evidence:     ev,
		Finding:      f,
	})
}
