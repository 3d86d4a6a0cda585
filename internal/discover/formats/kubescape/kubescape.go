// Package kubescape reads Kubescape JSON output (--format json, format
// version v2): the scanned Kubernetes objects ("resources"), per object the
// controls it was tested against ("results"), and the controls' names,
// scores and remediation ("summaryDetails"). A failed control on an object
// is one finding. Objects read from a cluster are cloud resources named
// namespace/kind/name; objects read from manifest files are code in a
// repository, located by file.
package kubescape

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Kubescape format.
func New() report.Format { return format{} }

func (format) Name() string        { return "kubescape" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Kubescape JSON report" }

func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	kubescapeKey := bytes.Contains(h, []byte(`"customerGUID"`)) || bytes.Contains(h, []byte(`"reportGUID"`)) ||
		bytes.Contains(h, []byte(`"clusterAPIServerInfo"`))
	if !kubescapeKey {
		return 0 // the other searches cost a pass over the head each
	}
	body := bytes.Contains(h, []byte(`"summaryDetails"`)) || bytes.Contains(h, []byte(`"resources"`)) ||
		bytes.Contains(h, []byte(`"results"`))
	if kubescapeKey && body {
		return 95
	}
	return 0
}

// object is what ctem keeps of a scanned Kubernetes object.
type object struct {
	kind, name, namespace, apiVersion string
	file                              string // set when read from a manifest
	// related lists the objects Kubescape merged into this one (the role
	// bindings and roles of a service account), as kind/name.
	related []string
}

type failure struct {
	resourceID string
	controlID  string
	name       string
	rules      []string
}

type control struct {
	Name        string  `json:"name"`
	ScoreFactor float64 `json:"scoreFactor"`
	Description string  `json:"description"`
	Remediation string  `json:"remediation"`
}

type parser struct {
	// fileScan is set when any object came from a manifest file: a report
	// is of a cluster or of files, and objects Kubescape assembled from
	// several manifests (a service account with its bindings) carry no file.
	fileScan bool
	cluster  string
	repoURL  string
	objects  map[string]object
	order    []string
	failures []failure
	controls map[string]control
}

type rawResource struct {
	ResourceID string `json:"resourceID"`
	Object     struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Name       string `json:"name"`
		Namespace  string `json:"namespace"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		SourcePath     string          `json:"sourcePath"`
		RelatedObjects json.RawMessage `json:"relatedObjects"`
	} `json:"object"`
	Source *struct {
		Path         string `json:"path"`
		RelativePath string `json:"relativePath"`
	} `json:"source"`
}

type rawResult struct {
	ResourceID string `json:"resourceID"`
	Controls   []struct {
		ControlID string `json:"controlID"`
		Name      string `json:"name"`
		Status    struct {
			Status string `json:"status"`
		} `json:"status"`
		Rules []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Paths  []struct {
				FailedPath string `json:"failedPath"`
				ReviewPath string `json:"reviewPath"`
				DeletePath string `json:"deletePath"`
				FixPath    struct {
					Path  string `json:"path"`
					Value string `json:"value"`
				} `json:"fixPath"`
			} `json:"paths"`
		} `json:"rules"`
	} `json:"controls"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(lead.SkipBOM(r))
	p := &parser{objects: map[string]object{}, controls: map[string]control{}}
	recognized := false
	// The summary with control names and scores is written after the
	// results, so failures are kept (compactly) until the end.
	err := js.Object(func(key string) error {
		switch key {
		case "clusterName":
			recognized = true
			var v *string
			if err := js.Decode(&v); err != nil {
				return err
			}
			if v != nil {
				p.cluster = strings.TrimSpace(*v)
			}
			return nil
		case "metadata":
			return p.metadata(js)
		case "resources":
			recognized = true
			return js.Array(func(int) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				var rr rawResource
				if err := js.Decode(&rr); err != nil {
					return err
				}
				p.addObject(&rr)
				return nil
			})
		case "results":
			recognized = true
			return js.Array(func(int) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				var res rawResult
				if err := js.Decode(&res); err != nil {
					return err
				}
				p.addResult(&res)
				return nil
			})
		case "summaryDetails":
			recognized = true
			return js.Object(func(k string) error {
				if k != "controls" {
					return js.Skip()
				}
				return js.Object(func(id string) error {
					var c control
					if err := js.Decode(&c); err != nil {
						return err
					}
					p.controls[id] = c
					return nil
				})
			})
		}
		return js.Skip()
	})
	if err != nil {
		return err
	}
	if !recognized {
		return report.Errorf(js.Offset(), "expected a Kubescape report object with resources and results")
	}
	if err := js.End(); err != nil {
		return err
	}
	return p.flush(sink)
}

// metadata picks the scanned repository from a file or repository scan.
func (p *parser) metadata(js *report.JSONStream) error {
	var m struct {
		TargetMetadata struct {
			GitRepoContextMetadata struct {
				Provider string `json:"provider"`
				Owner    string `json:"owner"`
				Repo     string `json:"repo"`
			} `json:"gitRepoContextMetadata"`
		} `json:"targetMetadata"`
	}
	if err := js.Decode(&m); err != nil {
		return err
	}
	g := m.TargetMetadata.GitRepoContextMetadata
	hosts := map[string]string{"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
	if host, ok := hosts[strings.ToLower(g.Provider)]; ok && g.Owner != "" && g.Repo != "" {
		p.repoURL = fmt.Sprintf("https://%s/%s/%s", host, g.Owner, g.Repo)
	}
	return nil
}

func (p *parser) addObject(rr *rawResource) {
	o := rr.Object
	obj := object{
		kind:       o.Kind,
		name:       nonempty.First(o.Metadata.Name, o.Name),
		namespace:  nonempty.First(o.Metadata.Namespace, o.Namespace),
		apiVersion: o.APIVersion,
	}
	// Resource ids of objects read from files carry "path=<hash>"; such
	// objects (and the related objects merged with them) are manifests.
	if strings.Contains(rr.ResourceID, "path=") || rr.Source != nil {
		obj.file = nonempty.First(o.SourcePath, "")
		if rr.Source != nil {
			obj.file = nonempty.First(rr.Source.RelativePath, rr.Source.Path, obj.file)
		}
		p.fileScan = true
	}
	if obj.kind == "" || obj.name == "" {
		// Fall back on the id: [path=h/api=]group/version/namespace/kind/name.
		id := rr.ResourceID
		if i := strings.LastIndex(id, "api="); i >= 0 {
			id = id[i+4:]
		}
		parts := strings.Split(id, "/")
		if len(parts) >= 3 {
			obj.kind = nonempty.First(obj.kind, parts[len(parts)-2])
			obj.name = nonempty.First(obj.name, parts[len(parts)-1])
			obj.namespace = nonempty.First(obj.namespace, parts[len(parts)-3])
		}
	}
	obj.related = relatedObjects(o.RelatedObjects)
	if _, dup := p.objects[rr.ResourceID]; !dup {
		p.order = append(p.order, rr.ResourceID)
	}
	p.objects[rr.ResourceID] = obj
}

type related struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	SourcePath string `json:"sourcePath"`
}

// relatedObjects reads relatedObjects, which Kubescape writes as an array or,
// for a single object, as that object.
func relatedObjects(raw json.RawMessage) []string {
	var list []related
	if err := json.Unmarshal(raw, &list); err != nil {
		var one related
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = []related{one}
	}
	var out []string
	for _, r := range list {
		if name := nonempty.First(r.Metadata.Name, r.Name); r.Kind != "" && name != "" {
			// Manifests can define the same binding twice; the file tells
			// which one grants the access.
			if r.SourcePath != "" {
				name += " (" + r.SourcePath + ")"
			}
			out = append(out, r.Kind+"/"+name)
		}
	}
	sort.Strings(out)
	return out
}

// addResult keeps the failed controls of one object. A control fails an
// object when one of its rules failed; the rules are that control's parts,
// and Kubescape counts failed controls, so one finding per control.
func (p *parser) addResult(res *rawResult) {
	if _, ok := p.objects[res.ResourceID]; !ok {
		p.order = append(p.order, res.ResourceID)
		p.objects[res.ResourceID] = object{}
	}
	for _, c := range res.Controls {
		st := strings.ToLower(c.Status.Status)
		if st != "" && st != "failed" {
			continue
		}
		var rules []string
		for _, r := range c.Rules {
			if !strings.EqualFold(r.Status, "failed") {
				continue
			}
			line := r.Name
			var fixes []string
			for _, pth := range r.Paths {
				switch {
				case pth.FixPath.Path != "":
					fixes = append(fixes, "set "+pth.FixPath.Path+"="+pth.FixPath.Value)
				case pth.FailedPath != "":
					fixes = append(fixes, "failed at "+pth.FailedPath)
				case pth.DeletePath != "":
					fixes = append(fixes, "delete "+pth.DeletePath)
				case pth.ReviewPath != "":
					fixes = append(fixes, "review "+pth.ReviewPath)
				}
			}
			if len(fixes) > 0 {
				line += ": " + strings.Join(fixes, "; ")
			}
			rules = append(rules, line)
		}
		if len(rules) == 0 {
			continue
		}
		p.failures = append(p.failures, failure{resourceID: res.ResourceID, controlID: c.ControlID, name: c.Name, rules: rules})
	}
}

func (p *parser) asset(id string) (report.AssetRef, string) {
	o := p.objects[id]
	base := objectName(o)
	if base == "" {
		base = id
	}
	ident := base
	if len(o.related) > 0 {
		// A service account with the bindings that grant it a role: each
		// binding is its own finding on the account.
		ident += " via " + strings.Join(o.related, ", ")
	}
	if p.fileScan {
		ref := report.AssetRef{Kind: model.AssetRepository}
		if p.repoURL != "" {
			ref.Name = p.repoURL
			ref.Identifiers = []model.Identifier{{Kind: model.IDRepoURL, Value: p.repoURL}}
		}
		return ref, ident
	}
	// A cluster object: the cluster name keeps kube-system/Deployment/coredns
	// of two clusters apart ("prod:kube-system/Deployment/coredns").
	cloudID := base
	if p.cluster != "" {
		cloudID = p.cluster + ":" + base
	}
	attrs := map[string]string{"provider": "kubernetes"}
	assetref.SetAttr(attrs, "cluster", p.cluster)
	assetref.SetAttr(attrs, "namespace", o.namespace)
	assetref.SetAttr(attrs, "kind", o.kind)
	assetref.SetAttr(attrs, "api_version", o.apiVersion)
	return report.AssetRef{
		Kind:        model.AssetCloud,
		Name:        base,
		Identifiers: []model.Identifier{{Kind: model.IDCloudID, Value: cloudID}},
		Attributes:  attrs,
	}, ident
}

// objectName is namespace/kind/name, or kind/name for cluster-scoped
// objects.
func objectName(o object) string {
	if o.kind == "" || o.name == "" {
		return ""
	}
	if o.namespace == "" {
		return o.kind + "/" + o.name
	}
	return o.namespace + "/" + o.kind + "/" + o.name
}

func (p *parser) flush(sink report.Sink) error {
	repoAnnounced := false
	for _, id := range p.order {
		a, _ := p.asset(id)
		if a.Kind == model.AssetRepository {
			if repoAnnounced {
				continue
			}
			repoAnnounced = true
		}
		if err := sink.Asset(a); err != nil {
			return err
		}
	}
	for _, f := range p.failures {
		a, ident := p.asset(f.resourceID)
		c, known := p.controls[f.controlID]
		sev := model.SevInfo
		toolSev := ""
		if known && c.ScoreFactor > 0 {
			// Kubescape rates controls 1-10: 1-3 low, 4-6 medium, 7-8 high,
			// 9-10 critical, the CVSS bands.
			sev = report.SeverityFromScore(c.ScoreFactor)
			toolSev = fmt.Sprintf("scoreFactor %g", c.ScoreFactor)
		}
		fd := model.Finding{
			Kind:        model.KindMisconfiguration,
			Title:       nonempty.First(f.name, c.Name, f.controlID),
			Description: report.Truncate(strings.TrimSpace(c.Description), 8<<10),
			Severity:    sev,
			RuleID:      f.controlID,
			Remediation: strings.TrimSpace(c.Remediation),
			Location:    model.Location{Resource: ident},
		}
		if file := p.objects[f.resourceID].file; p.fileScan {
			// Manifests in several files can define the same object, and a
			// misconfiguration is keyed by its resource: name it by file.
			fd.Location.File = file
			if file != "" {
				fd.Location.Resource = file + ":" + ident
			}
		}
		if f.controlID != "" {
			fd.References = []string{"https://hub.armosec.io/docs/" + strings.ToLower(f.controlID)}
		}
		obs := report.Observation{
			Asset:        a,
			ToolID:       f.controlID,
			ToolSeverity: toolSev,
			Evidence:     report.Truncate("Failed rules:\n"+strings.Join(f.rules, "\n"), 4<<10),
			Finding:      fd,
		}
		if p.fileScan {
			obs.Anchor = fd.Location.Resource
		}
		if err := sink.Observe(obs); err != nil {
			return err
		}
	}
	return nil
}
