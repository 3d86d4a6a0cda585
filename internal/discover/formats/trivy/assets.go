package trivy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/imageref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// metadata is the part of Trivy's Metadata object that names an artifact.
type metadata struct {
	OS *struct {
		Family string `json:"Family"`
		Name   string `json:"Name"`
	} `json:"OS"`
	ImageID     string   `json:"ImageID"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
	RepoURL     string   `json:"RepoURL"`
	Branch      string   `json:"Branch"`
	Commit      string   `json:"Commit"`
	ImageConfig struct {
		Architecture string `json:"architecture"`
	} `json:"ImageConfig"`
}

func (m *metadata) osName() string {
	if m == nil || m.OS == nil {
		return ""
	}
	return strings.TrimSpace(m.OS.Family + " " + m.OS.Name)
}

func (m *metadata) hasImage() bool {
	return m != nil && (strings.TrimSpace(m.ImageID) != "" || len(nonempty.Filter(m.RepoDigests...)) > 0 || len(nonempty.Filter(m.RepoTags...)) > 0)
}

// decodeMetadata reads a Metadata value, which Kubernetes reports write as
// one object in some Trivy versions and as a list (one per container image)
// in others.
func decodeMetadata(raw json.RawMessage) ([]metadata, error) {
	raw = json.RawMessage(strings.TrimSpace(string(raw)))
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var list []metadata
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("Metadata: %w", err)
		}
		return list, nil
	}
	var m metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("Metadata: %w", err)
	}
	return []metadata{m}, nil
}

// osTargetRe splits an OS-package result target such as
// "alpine:3.11 (alpine 3.11.13)" into the image and its OS.
var osTargetRe = regexp.MustCompile(`^(\S+) \(([A-Za-z][\w.-]*(?: [^()]*)?)\)$`)

func splitOSTarget(target string) (ref, os string) {
	m := osTargetRe.FindStringSubmatch(strings.TrimSpace(target))
	if m == nil {
		return "", ""
	}
	return imageref.Ref(m[1]), m[2]
}

// normRef reduces an image reference for comparison: Docker Hub's implicit
// registry and library namespace and the implicit latest tag.
func normRef(ref string) string {
	r := strings.ToLower(strings.TrimSpace(ref))
	for _, p := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
		r = strings.TrimPrefix(r, p)
	}
	r = strings.TrimPrefix(r, "library/")
	if !strings.Contains(r, "@") {
		slash := strings.LastIndexByte(r, '/')
		if !strings.Contains(r[slash+1:], ":") {
			r += ":latest"
		}
	}
	return r
}

func repoOf(ref string) string {
	r := normRef(ref)
	if i := strings.IndexByte(r, '@'); i >= 0 {
		return r[:i]
	}
	slash := strings.LastIndexByte(r, '/')
	if i := strings.LastIndexByte(r, ':'); i > slash {
		return r[:i]
	}
	return r
}

// idList collects identifiers once each, in the order added.
type idList []model.Identifier

func (l *idList) add(kind model.IdentifierKind, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	for _, have := range *l {
		if have.Kind == kind && have.Value == v {
			return
		}
	}
	*l = append(*l, model.Identifier{Kind: kind, Value: v})
}

// imageAsset names a container image by its digests, config id and
// references: the same fields Grype reports, so that both tools' findings
// land on one asset.
func imageAsset(refs []string, mds []metadata, osName string) report.AssetRef {
	var ids idList
	var tags []string
	for i := range mds {
		for _, d := range mds[i].RepoDigests {
			ids.add(model.IDImageDigest, imageref.Digest(d))
		}
	}
	for _, r := range refs {
		ids.add(model.IDImageDigest, imageref.Digest(r))
	}
	for i := range mds {
		ids.add(model.IDImageID, mds[i].ImageID)
	}
	for _, r := range refs {
		if r = imageref.Ref(r); r != "" {
			tags = append(tags, r)
		}
	}
	for i := range mds {
		for _, t := range mds[i].RepoTags {
			if t = imageref.Ref(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	for _, t := range tags {
		ids.add(model.IDImageRef, t)
	}
	a := report.AssetRef{Kind: model.AssetImage, Identifiers: ids}
	switch {
	case len(tags) > 0:
		a.Name = tags[0]
	case len(mds) > 0 && len(nonempty.Filter(mds[0].RepoDigests...)) > 0:
		a.Name = nonempty.Filter(mds[0].RepoDigests...)[0]
	case len(mds) > 0:
		a.Name = strings.TrimSpace(mds[0].ImageID)
	}
	attrs := map[string]string{}
	if osName == "" && len(mds) > 0 {
		osName = mds[0].osName()
	}
	if osName != "" {
		attrs["os"] = osName
	}
	if len(mds) > 0 && mds[0].ImageConfig.Architecture != "" {
		attrs["arch"] = mds[0].ImageConfig.Architecture
	}
	if len(attrs) > 0 {
		a.Attributes = attrs
	}
	return a
}

// meaningfulName reports whether a scanned path names something on its own;
// "." or "/" name nothing but the scanner's working directory.
func meaningfulName(s string) bool {
	switch strings.TrimSpace(s) {
	case "", ".", "./", "/", "..", "-":
		return false
	}
	return true
}

func looksLikeRepoURL(s string) bool {
	s = strings.TrimSpace(s)
	return strings.Contains(s, "://") || strings.HasPrefix(s, "git@")
}

// assetKey is a stable key for an AssetRef, to report each asset once.
func assetKey(a report.AssetRef) string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	b.WriteByte('|')
	b.WriteString(a.Name)
	ids := make([]string, 0, len(a.Identifiers))
	for _, id := range a.Identifiers {
		ids = append(ids, string(id.Kind)+"="+id.Value)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b.WriteByte('|')
		b.WriteString(id)
	}
	return b.String()
}
