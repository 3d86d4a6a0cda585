// Package trivyoperator parses Trivy Operator custom resources exported as
// JSON: one resource, a JSON array of them, a Kubernetes List (kubectl get
// -o json), or an object of lists keyed by resource type. It reads
// VulnerabilityReports and ExposedSecretReports (about container images),
// ConfigAudit, RbacAssessment and InfraAssessment reports (about Kubernetes
// objects) and ClusterComplianceReports.
package trivyoperator

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the Trivy Operator format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string { return "trivy_operator" }
func (format) Version() int { return 1 }
func (format) Description() string {
	return "Trivy Operator CRD JSON (vulnerability, config audit, secret, RBAC, compliance reports)"
}

var (
	apiGroup = regexp.MustCompile(`"apiVersion"\s*:\s*"aquasecurity\.github\.io/`)
	kindRe   = regexp.MustCompile(`"kind"\s*:\s*"(VulnerabilityReport|ClusterVulnerabilityReport|ConfigAuditReport|ClusterConfigAuditReport|ExposedSecretReport|RbacAssessmentReport|ClusterRbacAssessmentReport|InfraAssessmentReport|ClusterInfraAssessmentReport|ClusterComplianceReport|SbomReport|ClusterSbomReport)(List)?"`)
	dictKey  = regexp.MustCompile(`"[a-z]+reports\.aquasecurity\.github\.io"\s*:`)
)

// Detect wants Trivy Operator's API group with one of its report kinds, or
// the object of lists keyed by "<type>reports.aquasecurity.github.io".
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') || !bytes.Contains(h, []byte("aquasecurity.github.io")) {
		return 0
	}
	if apiGroup.Match(h) && kindRe.Match(h) {
		return 95
	}
	if dictKey.Match(h) {
		return 90
	}
	return 0
}

type check struct {
	CheckID     string   `json:"checkID"`
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    string   `json:"severity"`
	Category    string   `json:"category"`
	Messages    []string `json:"messages"`
	Remediation string   `json:"remediation"`
	Success     *bool    `json:"success"`
	Target      string   `json:"target"`
}

type vuln struct {
	VulnerabilityID  string   `json:"vulnerabilityID"`
	Resource         string   `json:"resource"`
	InstalledVersion string   `json:"installedVersion"`
	FixedVersion     string   `json:"fixedVersion"`
	Severity         string   `json:"severity"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	PrimaryLink      string   `json:"primaryLink"`
	Links            []string `json:"links"`
	Score            *float64 `json:"score"`
	Target           string   `json:"target"`
	Class            string   `json:"class"`
	PackageType      string   `json:"packageType"`
	PkgPath          string   `json:"pkgPath"`
	PkgPURL          string   `json:"pkgPURL"`
	CVSS             map[string]struct {
		V2Vector  string `json:"V2Vector"`
		V3Vector  string `json:"V3Vector"`
		V40Vector string `json:"V40Vector"`
	} `json:"cvss"`
}

type secret struct {
	RuleID   string `json:"ruleID"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Target   string `json:"target"`
	Match    string `json:"match"`
}

type control struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
	Checks      []struct {
		ID string `json:"id"`
	} `json:"checks"`
}

// item is one Trivy Operator resource. Each is decoded whole: Kubernetes
// caps an object at about 1.5 MiB, so one resource is bounded however many
// a file holds.
type item struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Report *struct {
		Artifact struct {
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
			Digest     string `json:"digest"`
		} `json:"artifact"`
		Registry struct {
			Server string `json:"server"`
		} `json:"registry"`
		OS struct {
			Family string `json:"family"`
			Name   string `json:"name"`
		} `json:"os"`
		Vulnerabilities []vuln   `json:"vulnerabilities"`
		Checks          []check  `json:"checks"`
		Secrets         []secret `json:"secrets"`
	} `json:"report"`
	Spec *struct {
		Compliance struct {
			ID       string    `json:"id"`
			Title    string    `json:"title"`
			Controls []control `json:"controls"`
		} `json:"compliance"`
	} `json:"spec"`
	Status *struct {
		Summary struct {
			FailCount json.Number `json:"failCount"`
		} `json:"summary"`
		DetailReport *struct {
			ID      string `json:"id"`
			Title   string `json:"title"`
			Results []struct {
				ID       string  `json:"id"`
				Name     string  `json:"name"`
				Severity string  `json:"severity"`
				Checks   []check `json:"checks"`
			} `json:"results"`
		} `json:"detailReport"`
		SummaryReport *struct {
			ID           string `json:"id"`
			Title        string `json:"title"`
			ControlCheck []struct {
				ID        string      `json:"id"`
				Name      string      `json:"name"`
				Severity  string      `json:"severity"`
				TotalFail json.Number `json:"totalFail"`
			} `json:"controlCheck"`
		} `json:"summaryReport"`
	} `json:"status"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	s := report.NewJSONStream(br)
	p := &parser{ctx: ctx, s: s, sink: sink, assets: map[string]bool{}, seen: map[string]bool{}}
	switch first {
	case '[':
		err = p.list()
	case '{':
		err = p.object()
	default:
		return report.Errorf(0, "expected a Trivy Operator resource or list (JSON object or array), found %q", first)
	}
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if p.items == 0 && !p.lists {
		return report.Errorf(0, "expected Trivy Operator reports (kind VulnerabilityReport, ConfigAuditReport, ...)")
	}
	return nil
}

func firstByte(br *bufio.Reader) (byte, error) {
	for off := int64(0); ; off++ {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, report.Errorf(off, "empty input: expected Trivy Operator JSON")
			}
			return 0, report.AtOffset(off, err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
		case 0xEF:
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				_, _ = br.Discard(3)
				continue
			}
			return b[0], nil
		default:
			return b[0], nil
		}
	}
}

type parser struct {
	ctx    context.Context
	s      *report.JSONStream
	sink   report.Sink
	assets map[string]bool
	seen   map[string]bool
	items  int
	lists  bool // a list (possibly empty) of reports was read
	n      int
}

// list reads an array of resources.
func (p *parser) list() error {
	p.lists = true
	return p.s.Array(func(i int) error {
		off := p.s.Offset()
		var it item
		if err := p.s.Decode(&it); err != nil {
			return err
		}
		return p.item(off, it)
	})
}

// object reads one resource, a Kubernetes List (items), or an object of
// lists keyed by resource type. A single resource is assembled key by key.
func (p *parser) object() error {
	s := p.s
	var it item
	single := false
	err := s.Object(func(key string) error {
		switch {
		case key == "items":
			return p.list()
		case strings.HasSuffix(key, ".aquasecurity.github.io"):
			if strings.Contains(key, "sbomreports") {
				// Inventories, not findings.
				p.lists = true
				return s.Skip()
			}
			return p.list()
		case key == "kind":
			return s.Decode(&it.Kind)
		case key == "metadata":
			return s.Decode(&it.Metadata)
		case key == "report":
			single = true
			return s.Decode(&it.Report)
		case key == "spec":
			return s.Decode(&it.Spec)
		case key == "status":
			single = true
			return s.Decode(&it.Status)
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	if single {
		return p.item(0, it)
	}
	return nil
}

func (p *parser) tick() error {
	p.n++
	if p.n%256 == 0 {
		return p.ctx.Err()
	}
	return nil
}

func (p *parser) announce(a report.AssetRef) error {
	key := string(a.Kind) + "\x00" + a.Name
	if p.assets[key] {
		return nil
	}
	p.assets[key] = true
	return p.sink.Asset(a)
}

// once reports whether key is new: exact repeats are one issue.
func (p *parser) once(parts ...string) bool {
	k := strings.Join(parts, "\x00")
	if p.seen[k] {
		return false
	}
	p.seen[k] = true
	return true
}

func (p *parser) item(off int64, it item) error {
	if it.Kind == "" && it.Report == nil && it.Status == nil {
		return report.Errorf(off, "expected a Trivy Operator resource with kind and report or status")
	}
	p.items++
	if strings.Contains(it.Kind, "Sbom") {
		return nil
	}
	if it.Report != nil {
		if len(it.Report.Vulnerabilities) > 0 || len(it.Report.Secrets) > 0 || strings.Contains(it.Kind, "Vulnerability") || strings.Contains(it.Kind, "Secret") {
			if err := p.imageReport(it); err != nil {
				return err
			}
		}
		if len(it.Report.Checks) > 0 || strings.Contains(it.Kind, "Audit") || strings.Contains(it.Kind, "Assessment") {
			if err := p.checks(it); err != nil {
				return err
			}
		}
	}
	if it.Status != nil {
		return p.compliance(it)
	}
	return nil
}

// workload returns the Kubernetes object a report is about, from the
// operator's labels, falling back to the report's own metadata.
func workload(it item) (ns, kind, name, container string) {
	l := it.Metadata.Labels
	ns, kind, name = l["trivy-operator.resource.namespace"], l["trivy-operator.resource.kind"], l["trivy-operator.resource.name"]
	container = l["trivy-operator.container.name"]
	if kind == "" && name == "" {
		ns, name = it.Metadata.Namespace, it.Metadata.Name
	}
	return
}

// objectID names a Kubernetes object "namespace/Kind/name", or "Kind/name"
// when cluster-scoped.
func objectID(ns, kind, name string) string {
	id := kind + "/" + name
	if kind == "" {
		id = name
	}
	if ns != "" {
		id = ns + "/" + id
	}
	return id
}

func objectAsset(ns, kind, name string) report.AssetRef {
	id := objectID(ns, kind, name)
	a := report.AssetRef{Kind: model.AssetCloud, Name: id, Attributes: map[string]string{"platform": "kubernetes"}}
	if id != "" {
		a.Identifiers = []model.Identifier{{Kind: model.IDCloudID, Value: id}}
	}
	if ns != "" {
		a.Attributes["namespace"] = ns
	}
	if kind != "" {
		a.Attributes["kind"] = kind
	}
	return a
}

// imageAsset names the scanned container image; without an artifact (node
// or cluster component reports) the workload stands in.
func imageAsset(it item) report.AssetRef {
	ns, kind, name, container := workload(it)
	rep := it.Report
	if rep.Artifact.Repository == "" {
		return objectAsset(ns, kind, name)
	}
	ref := rep.Artifact.Repository
	if rep.Registry.Server != "" {
		ref = rep.Registry.Server + "/" + ref
	}
	if rep.Artifact.Tag != "" {
		ref += ":" + rep.Artifact.Tag
	}
	a := report.AssetRef{Kind: model.AssetImage, Name: ref, Attributes: map[string]string{}}
	if d := rep.Artifact.Digest; d != "" {
		if i := strings.Index(d, "sha256:"); i >= 0 {
			d = d[i:]
		}
		a.Identifiers = append(a.Identifiers, model.Identifier{Kind: model.IDImageDigest, Value: d})
	}
	a.Identifiers = append(a.Identifiers, model.Identifier{Kind: model.IDImageRef, Value: ref})
	if ns != "" {
		a.Attributes["namespace"] = ns
	}
	if kind != "" || name != "" {
		a.Attributes["workload"] = kind + "/" + name
	}
	if container != "" {
		a.Attributes["container"] = container
	}
	if rep.OS.Family != "" {
		a.Attributes["os"] = strings.TrimSpace(rep.OS.Family + " " + rep.OS.Name)
	}
	return a
}

func (p *parser) imageReport(it item) error {
	asset := imageAsset(it)
	if err := p.announce(asset); err != nil {
		return err
	}
	for _, v := range it.Report.Vulnerabilities {
		if err := p.tick(); err != nil {
			return err
		}
		if !p.once("v", asset.Name, v.VulnerabilityID, v.Resource, v.InstalledVersion, v.PkgPath, v.Target) {
			continue
		}
		if err := p.sink.Observe(observeVuln(asset, it, v)); err != nil {
			return err
		}
	}
	for _, sc := range it.Report.Secrets {
		if !p.once("s", asset.Name, sc.RuleID, sc.Target, sc.Match) {
			continue
		}
		f := model.Finding{
			Kind:        model.KindSecret,
			Title:       cmp.Or(sc.Title, sc.RuleID),
			Description: fmt.Sprintf("Trivy found a %s secret (%s) in %s.", sc.Category, cmp.Or(sc.Title, sc.RuleID), sc.Target),
			Severity:    report.SeverityOr(sc.Severity, model.SevHigh),
			RuleID:      sc.RuleID,
			CWEs:        []int{798},
			Location:    model.Location{File: sc.Target},
			Remediation: "Remove the secret from the image, rotate it, and inject secrets at run time.",
		}
		// Trivy masks the value in match; even so only the category and
		// rule are kept as evidence.
		if err := p.sink.Observe(report.Observation{
			Asset:        asset,
			ToolID:       cmp.Or(sc.RuleID, sc.Title),
			ToolSeverity: sc.Severity,
			Evidence:     fmt.Sprintf("category: %s; rule: %s; file: %s", sc.Category, sc.RuleID, sc.Target),
			Finding:      f,
		}); err != nil {
			return err
		}
	}
	return nil
}

func observeVuln(asset report.AssetRef, it item, v vuln) report.Observation {
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       cmp.Or(v.Title, v.VulnerabilityID),
		Description: report.Truncate(strings.TrimSpace(v.Description), 8192),
		Severity:    report.SeverityOr(v.Severity, model.SevInfo),
		Component: model.Component{
			Name:         v.Resource,
			Version:      v.InstalledVersion,
			FixedVersion: v.FixedVersion,
			Ecosystem:    cmp.Or(v.PackageType, v.Class),
		},
	}
	f.VulnID, f.Aliases = report.VulnIDs(v.VulnerabilityID)
	if v.Class != "os-pkgs" {
		// Language packages sit in a file (lock file, jar); OS packages
		// in the image's package database.
		f.Component.Path = cmp.Or(v.PkgPath, v.Target)
	}
	f.Component.PURL = v.PkgPURL
	if f.Component.PURL == "" {
		f.Component.PURL = purl(v.PackageType, it.Report.OS.Name, v.Resource, v.InstalledVersion)
	}
	// NVD's vectors first, then the vendors', in a stable order.
	srcs := make([]string, 0, len(v.CVSS))
	for k := range v.CVSS {
		if k != "nvd" {
			srcs = append(srcs, k)
		}
	}
	sort.Strings(srcs)
	for _, src := range append([]string{"nvd"}, srcs...) {
		if c, ok := v.CVSS[src]; ok {
			report.AddCVSS(&f, c.V40Vector)
			report.AddCVSS(&f, c.V3Vector)
			report.AddCVSS(&f, c.V2Vector)
		}
	}
	for _, u := range append([]string{v.PrimaryLink}, v.Links...) {
		if u != "" && !slices.Contains(f.References, u) && len(f.References) < 30 {
			f.References = append(f.References, u)
		}
	}
	if v.FixedVersion != "" {
		f.Remediation = fmt.Sprintf("Upgrade %s to %s.", v.Resource, v.FixedVersion)
	}
	ev := fmt.Sprintf("%s %s in %s", v.Resource, v.InstalledVersion, cmp.Or(v.Target, asset.Name))
	if v.Score != nil {
		ev += fmt.Sprintf("; score %s", strconv.FormatFloat(*v.Score, 'f', -1, 64))
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       v.VulnerabilityID,
		ToolSeverity: v.Severity,
		Evidence:     ev,
		Finding:      f,
	}
}

// purl builds a package URL from Trivy's package type, for the common OS
// and language package types.
func purl(typ, osName, name, version string) string {
	if name == "" || version == "" {
		return ""
	}
	var t, ns string
	qual := packageurl.Qualifiers{}
	switch strings.ToLower(typ) {
	case "debian", "ubuntu":
		t, ns = packageurl.TypeDebian, strings.ToLower(typ)
		if osName != "" {
			qual = packageurl.QualifiersFromMap(map[string]string{"distro": strings.ToLower(typ) + "-" + osName})
		}
	case "alpine":
		t, ns = packageurl.TypeApk, "alpine"
		if osName != "" {
			qual = packageurl.QualifiersFromMap(map[string]string{"distro": osName})
		}
	case "redhat", "centos", "rocky", "alma", "oracle", "amazon", "fedora", "photon", "suse", "opensuse", "opensuse.leap", "sles":
		t, ns = packageurl.TypeRPM, strings.ToLower(typ)
	case "npm", "node-pkg", "yarn", "pnpm":
		t = packageurl.TypeNPM
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
	case "pip", "pipenv", "poetry", "python-pkg", "uv":
		t, name = packageurl.TypePyPi, strings.ToLower(name)
	case "gomod", "gobinary":
		t = packageurl.TypeGolang
		if i := strings.LastIndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	case "jar", "pom", "gradle", "sbt":
		t = packageurl.TypeMaven
		if i := strings.IndexByte(name, ':'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	case "bundler", "gemspec":
		t = packageurl.TypeGem
	case "cargo", "rust-binary":
		t = packageurl.TypeCargo
	case "composer":
		t = packageurl.TypeComposer
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	case "nuget", "dotnet-core", "packages-props":
		t = packageurl.TypeNuget
	default:
		return ""
	}
	return packageurl.NewPackageURL(t, ns, name, version, qual, "").ToString()
}

var uniform = regexp.MustCompile(`(?i)^(?:AVD-)?(KSV|KCV|DS|AVD)-?0*(\d+)$`)

// ruleID writes a check id in Trivy's AVD form (KSV014 -> AVD-KSV-0014),
// which compliance reports and Trivy's own JSON use, so one check has one id.
func ruleID(id string) string {
	m := uniform.FindStringSubmatch(strings.TrimSpace(id))
	if m == nil || strings.EqualFold(m[1], "AVD") {
		return strings.TrimSpace(id)
	}
	n, _ := strconv.Atoi(m[2])
	return fmt.Sprintf("AVD-%s-%04d", strings.ToUpper(m[1]), n)
}

func (p *parser) checks(it item) error {
	ns, kind, name, _ := workload(it)
	asset := objectAsset(ns, kind, name)
	if err := p.announce(asset); err != nil {
		return err
	}
	for _, c := range it.Report.Checks {
		if err := p.tick(); err != nil {
			return err
		}
		if c.Success != nil && *c.Success {
			continue
		}
		if err := p.observeCheck(asset, c, "", c.Severity); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) observeCheck(asset report.AssetRef, c check, control, sev string) error {
	id := cmp.Or(c.CheckID, c.ID)
	rule := ruleID(id)
	if rule == "" {
		rule = c.Title
	}
	if !p.once("c", asset.Name, rule) {
		return nil
	}
	f := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       cmp.Or(c.Title, rule),
		Description: strings.TrimSpace(c.Description),
		Severity:    report.SeverityOr(sev, model.SevMedium),
		RuleID:      rule,
		Remediation: strings.TrimSpace(c.Remediation),
		Location:    model.Location{Resource: asset.Name},
	}
	var ev []string
	for i, m := range c.Messages {
		if i == 10 {
			ev = append(ev, fmt.Sprintf("(+%d more)", len(c.Messages)-10))
			break
		}
		ev = append(ev, strings.TrimSpace(m))
	}
	if c.Category != "" {
		ev = append(ev, "category: "+c.Category)
	}
	if control != "" {
		ev = append(ev, "control: "+control)
	}
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       cmp.Or(id, c.Title),
		ToolSeverity: sev,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
		Finding:      f,
	})
}

// kinds maps the lower-case kind prefixes of compliance targets
// ("kube-system/daemonset-cilium") to Kubernetes kinds, so that a target
// names the same object as the ConfigAuditReport about it.
var kinds = map[string]string{
	"pod": "Pod", "replicaset": "ReplicaSet", "replicationcontroller": "ReplicationController",
	"statefulset": "StatefulSet", "daemonset": "DaemonSet", "cronjob": "CronJob", "job": "Job",
	"deployment": "Deployment", "service": "Service", "configmap": "ConfigMap", "role": "Role",
	"rolebinding": "RoleBinding", "clusterrole": "ClusterRole", "clusterrolebinding": "ClusterRoleBinding",
	"networkpolicy": "NetworkPolicy", "ingress": "Ingress", "resourcequota": "ResourceQuota",
	"limitrange": "LimitRange", "serviceaccount": "ServiceAccount", "node": "Node", "namespace": "Namespace",
	"persistentvolume": "PersistentVolume", "persistentvolumeclaim": "PersistentVolumeClaim",
}

func targetAsset(target string) report.AssetRef {
	ns, obj := "", target
	if i := strings.LastIndexByte(target, '/'); i >= 0 {
		ns, obj = target[:i], target[i+1:]
	}
	if i := strings.IndexByte(obj, '-'); i > 0 {
		if k, ok := kinds[strings.ToLower(obj[:i])]; ok {
			return objectAsset(ns, k, obj[i+1:])
		}
	}
	return objectAsset(ns, "", obj)
}

// clusterAsset stands for the cluster a compliance report is about; the
// report does not name it, so the pipeline names it from the import.
func clusterAsset() report.AssetRef {
	return report.AssetRef{Kind: model.AssetCloud, Attributes: map[string]string{"platform": "kubernetes"}}
}

func (p *parser) compliance(it item) error {
	st := it.Status
	cluster := clusterAsset()
	if d := st.DetailReport; d != nil {
		failed := 0
		// One observation per failed check on an object: the same check
		// is listed under several controls, and repeated per container.
		for _, res := range d.Results {
			for _, c := range res.Checks {
				if err := p.tick(); err != nil {
					return err
				}
				if c.Success == nil || *c.Success {
					continue
				}
				failed++
				asset := targetAsset(c.Target)
				if c.Target == "" {
					asset = cluster
				}
				if err := p.announce(asset); err != nil {
					return err
				}
				sev := c.Severity
				if sev == "" {
					sev = res.Severity
				}
				if c.CheckID == "" && c.ID == "" {
					c.CheckID = d.ID + ":" + res.ID
				}
				if err := p.observeCheck(asset, c, strings.TrimSpace(d.ID+" "+res.ID+" "+res.Name), sev); err != nil {
					return err
				}
			}
		}
		if failed == 0 {
			// A clean compliance run still covers the cluster.
			if err := p.announce(cluster); err != nil {
				return err
			}
		}
	}
	if sr := st.SummaryReport; sr != nil {
		if err := p.announce(cluster); err != nil {
			return err
		}
		if n, _ := st.Summary.FailCount.Int64(); n <= 0 {
			return nil
		}
		var controls []control
		compID := sr.ID
		if it.Spec != nil {
			controls = it.Spec.Compliance.Controls
			compID = cmp.Or(it.Spec.Compliance.ID, compID)
		}
		for _, cc := range sr.ControlCheck {
			if n, _ := cc.TotalFail.Int64(); n <= 0 {
				continue
			}
			desc, checks := "", []string(nil)
			for _, c := range controls {
				if c.ID == cc.ID {
					desc = c.Description
					for _, ch := range c.Checks {
						checks = append(checks, ch.ID)
					}
				}
			}
			rule := compID + ":" + cc.ID
			if !p.once("cc", rule) {
				continue
			}
			f := model.Finding{
				Kind:        model.KindMisconfiguration,
				Title:       strings.TrimSpace(cc.ID + " " + cc.Name),
				Description: strings.TrimSpace(desc),
				Severity:    report.SeverityOr(cc.Severity, model.SevMedium),
				RuleID:      rule,
			}
			ev := fmt.Sprintf("%s control %s failed on %s object(s); checks: %s", cmp.Or(sr.Title, compID), cc.ID, cc.TotalFail, strings.Join(checks, ", "))
			if err := p.sink.Observe(report.Observation{
				Asset:        cluster,
				ToolID:       cc.ID,
				ToolSeverity: cc.Severity,
				Evidence:     ev,
				Finding:      f,
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
