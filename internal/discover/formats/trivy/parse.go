package trivy

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/pkgvuln"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// assetSel says which of a scope's assets a finding belongs to: in a
// Kubernetes report, package and secret findings belong to the container
// image and misconfigurations to the workload.
type assetSel int

const (
	selPackage assetSel = iota
	selSecret
	selConfig
)

// resultInfo is the header of one Trivy result.
type resultInfo struct {
	Target, Class, Type string
}

// owner is what a result belongs to: the report's artifact or one
// Kubernetes resource. It decides the asset of each finding; until it is
// ready (the keys naming it have been read) findings wait in the parser.
type owner interface {
	ready() bool
	noteResult(ri resultInfo)
	assetFor(ri resultInfo, sel assetSel) report.AssetRef
}

type pendingObs struct {
	o   owner
	ri  resultInfo
	sel assetSel
	obs report.Observation
}

type parser struct {
	ctx         context.Context
	js          *report.JSONStream
	sink        report.Sink
	ticks       int
	cluster     string
	clusterSeen bool
	// pending holds findings whose asset is not known yet because the keys
	// naming it come later in the document (Trivy writes them first, so in
	// practice this stays empty and parsing streams).
	pending       []pendingObs
	pendingAssets []func() []report.AssetRef
	sent          map[string]bool
	cvss          report.CVSSCache // the report's vectors, each parsed once
}

func newParser(ctx context.Context, r io.Reader, sink report.Sink) *parser {
	return &parser{ctx: ctx, js: report.NewJSONStream(r), sink: sink, sent: map[string]bool{}}
}

func (p *parser) run(first byte) error {
	switch first {
	case 'n':
		// Legacy Trivy writes null for a scan without results.
		if err := p.js.Skip(); err != nil {
			return err
		}
		return p.js.End()
	case '[':
		return p.legacy()
	case '{':
		return p.object()
	}
	return report.Errorf(0, "expected a Trivy JSON report (an object, an array of results or null), found %q", first)
}

// legacy reads the pre-SchemaVersion form: a bare array of results. It
// names no artifact; an OS-package target such as "img:tag (alpine 3.7)"
// tells the image, so findings wait for the end of the array.
func (p *parser) legacy() error {
	sc := &artifactScope{legacy: true}
	results := 0
	err := p.js.Array(func(int) error {
		results++
		return p.result(sc)
	})
	if err != nil {
		return err
	}
	if err := p.js.End(); err != nil {
		return err
	}
	if results > 0 {
		if err := p.asset(sc.asset()); err != nil {
			return err
		}
	}
	return p.flush()
}

func (p *parser) object() error {
	sc := &artifactScope{}
	var schema json.Number
	var sawResults, sawK8s bool
	err := p.js.Object(func(key string) error {
		switch key {
		case "SchemaVersion":
			return p.js.Decode(&schema)
		case "ArtifactName":
			sc.seenName, sc.cached = true, nil
			return p.js.Decode(&sc.name)
		case "ArtifactType":
			sc.seenType, sc.cached = true, nil
			return p.js.Decode(&sc.typ)
		case "Metadata":
			sc.seenMD, sc.cached = true, nil
			return p.js.Decode(&sc.md)
		case "Results":
			sawResults = true
			return p.js.Array(func(int) error { return p.result(sc) })
		case "ClusterName":
			p.clusterSeen = true
			return p.js.Decode(&p.cluster)
		case "Resources", "Findings", "Vulnerabilities", "Misconfigurations":
			// Kubernetes reports: Resources (current), Findings (the
			// consolidated summary), Vulnerabilities / Misconfigurations
			// (before Trivy 0.40); each is a list of workloads.
			sawK8s = true
			return p.js.Array(func(int) error { return p.resource(key) })
		}
		return p.js.Skip()
	})
	if err != nil {
		return err
	}
	if err := p.js.End(); err != nil {
		return err
	}
	artifact := sawResults || sc.seenName || sc.seenType
	if !artifact && !sawK8s && !p.clusterSeen && schema == "" {
		return report.Errorf(p.js.Offset(), "not a Trivy report: expected SchemaVersion, ArtifactName and Results, or ClusterName and Resources")
	}
	// A cluster report's resources were reported as they ended; the
	// artifact of an image / filesystem / repository report is reported
	// even without findings, since the scan covered it.
	if artifact && (!(sawK8s || p.clusterSeen) || sawResults) {
		if err := p.asset(sc.asset()); err != nil {
			return err
		}
	}
	return p.flush()
}

// resource reads one Kubernetes workload and its results.
func (p *parser) resource(list string) error {
	s := &resourceScope{p: p, list: list}
	err := p.js.Object(func(key string) error {
		switch key {
		case "Namespace":
			return p.js.Decode(&s.ns)
		case "Kind":
			s.seenKind = true
			return p.js.Decode(&s.kind)
		case "Name":
			s.seenName = true
			return p.js.Decode(&s.name)
		case "Metadata":
			var raw json.RawMessage
			if err := p.js.Decode(&raw); err != nil {
				return err
			}
			mds, err := decodeMetadata(raw)
			if err != nil {
				return report.AtOffset(p.js.Offset(), err)
			}
			s.mds = append(s.mds, mds...)
			return nil
		case "Results":
			return p.js.Array(func(int) error { return p.result(s) })
		}
		return p.js.Skip()
	})
	if err != nil {
		return err
	}
	if s.ready() {
		for _, a := range s.coveredAssets() {
			if err := p.asset(a); err != nil {
				return err
			}
		}
		return nil
	}
	p.pendingAssets = append(p.pendingAssets, s.coveredAssets)
	return nil
}

// result reads one Trivy result (one target: an OS, a lock file, a config
// file, a workload manifest) and streams its findings.
func (p *parser) result(o owner) error {
	var ri resultInfo
	seenTarget, noted := false, false
	note := func() {
		if !noted {
			noted = true
			o.noteResult(ri)
		}
	}
	// Trivy writes Target, Class and Type before the lists; items met
	// before the Target wait for the end of the result.
	var deferred []func() error
	item := func(build func(resultInfo) error) error {
		if seenTarget {
			note()
			return build(ri)
		}
		deferred = append(deferred, func() error { return build(ri) })
		return nil
	}
	err := p.js.Object(func(key string) error {
		switch key {
		case "Target":
			seenTarget = true
			return p.js.Decode(&ri.Target)
		case "Class":
			return p.js.Decode(&ri.Class)
		case "Type":
			return p.js.Decode(&ri.Type)
		case "Vulnerabilities":
			return p.js.Array(func(int) error {
				var v vulnerability
				if err := p.decodeItem(&v); err != nil {
					return err
				}
				return item(func(ri resultInfo) error { return p.vuln(o, ri, &v) })
			})
		case "Misconfigurations":
			return p.js.Array(func(int) error {
				var m misconfiguration
				if err := p.decodeItem(&m); err != nil {
					return err
				}
				return item(func(ri resultInfo) error { return p.misconf(o, ri, &m) })
			})
		case "Secrets":
			return p.js.Array(func(int) error {
				var s secretFinding
				if err := p.decodeItem(&s); err != nil {
					return err
				}
				return item(func(ri resultInfo) error { return p.secret(o, ri, &s) })
			})
		case "Licenses":
			return p.js.Array(func(int) error {
				var l license
				if err := p.decodeItem(&l); err != nil {
					return err
				}
				return item(func(ri resultInfo) error { return p.license(o, ri, &l) })
			})
		}
		// Packages (the SBOM part), MisconfSummary, CustomResources.
		return p.js.Skip()
	})
	if err != nil {
		return err
	}
	note()
	for _, d := range deferred {
		if err := d(); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) decodeItem(v any) error {
	p.ticks++
	if p.ticks%256 == 0 {
		if err := p.ctx.Err(); err != nil {
			return err
		}
	}
	return p.js.Decode(v)
}

func (p *parser) emit(o owner, ri resultInfo, sel assetSel, obs report.Observation) error {
	if o.ready() {
		return p.observe(o.assetFor(ri, sel), sel, obs)
	}
	p.pending = append(p.pending, pendingObs{o: o, ri: ri, sel: sel, obs: obs})
	return nil
}

func (p *parser) observe(a report.AssetRef, sel assetSel, obs report.Observation) error {
	obs.Asset = a
	if a.Kind == model.AssetImage && sel != selConfig {
		// Paths inside an image are rooted at its file system; Trivy
		// writes them relative ("usr/lib/...") where Grype writes
		// "/usr/lib/...". Root them so both tools agree.
		obs.Finding.Component.Path = rooted(obs.Finding.Component.Path)
		obs.Finding.Location.File = rooted(obs.Finding.Location.File)
	}
	pkgvuln.Scrub(&obs)
	return p.sink.Observe(obs)
}

func rooted(path string) string {
	if path == "" || strings.HasPrefix(path, "/") {
		return path
	}
	return "/" + path
}

// asset reports a to the sink once.
func (p *parser) asset(a report.AssetRef) error {
	k := assetKey(a)
	if p.sent[k] {
		return nil
	}
	p.sent[k] = true
	return p.sink.Asset(a)
}

// flush reports what waited for the end of the document.
func (p *parser) flush() error {
	for _, f := range p.pendingAssets {
		for _, a := range f() {
			if err := p.asset(a); err != nil {
				return err
			}
		}
	}
	p.pendingAssets = nil
	for i, po := range p.pending {
		if i%256 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		if err := p.observe(po.o.assetFor(po.ri, po.sel), po.sel, po.obs); err != nil {
			return err
		}
	}
	p.pending = nil
	return nil
}

// artifactScope is the artifact of an image, filesystem, repository, SBOM
// or VM report (or of a legacy array).
type artifactScope struct {
	legacy                     bool
	name, typ                  string
	seenName, seenType, seenMD bool
	md                         metadata
	// osRef / osName come from the first OS-package target
	// ("img:tag (alpine 3.11.13)"): the image when ArtifactName is empty
	// or the report is legacy.
	osRef, osName string
	cached        *report.AssetRef
}

func (s *artifactScope) ready() bool {
	if s.legacy || !s.seenName || !s.seenType {
		return false
	}
	// Image reports carry their digests in Metadata, which Trivy writes
	// before Results; wait for it so every finding has the full identity.
	return s.seenMD || s.typ != "container_image"
}

func (s *artifactScope) noteResult(ri resultInfo) {
	if s.osRef != "" {
		return
	}
	if ri.Class == "os-pkgs" || (ri.Class == "" && isOSType(ri.Type)) {
		if ref, osName := splitOSTarget(ri.Target); ref != "" {
			s.osRef, s.osName = ref, osName
			s.cached = nil
		}
	}
}

func (s *artifactScope) assetFor(resultInfo, assetSel) report.AssetRef { return s.asset() }

func (s *artifactScope) asset() report.AssetRef {
	if s.cached == nil {
		a := s.build()
		s.cached = &a
	}
	return *s.cached
}

func (s *artifactScope) build() report.AssetRef {
	md := &s.md
	osName := md.osName()
	if osName == "" {
		osName = s.osName
	}
	if s.legacy {
		if s.osRef != "" {
			return imageAsset([]string{s.osRef}, nil, osName)
		}
		return report.AssetRef{Kind: model.AssetRepository}
	}
	name := strings.TrimSpace(s.name)
	sbom := s.typ == "cyclonedx" || s.typ == "spdx"
	if s.typ == "container_image" || ((sbom || s.typ == "") && md.hasImage()) {
		refs := []string{name}
		if s.osRef != "" {
			refs = append(refs, s.osRef)
		}
		a := imageAsset(refs, []metadata{*md}, osName)
		if a.Name == "" {
			a.Name = name
		}
		return a
	}
	attrs := map[string]string{}
	if osName != "" {
		attrs["os"] = osName
	}
	var ids idList
	kind := model.AssetRepository
	switch {
	case s.typ == "vm" || s.typ == "rootfs" || (s.typ == "filesystem" && (name == "/" || md.OS != nil && md.OS.Family != "")):
		// A VM image or a root file system is a machine; Trivy does not
		// know its host name, so only a meaningful artifact name (an AMI,
		// a disk image) identifies it.
		kind = model.AssetHost
		if v, ok := strings.CutPrefix(name, "ami:"); ok {
			ids.add(model.IDCloudID, v)
		} else if v, ok := strings.CutPrefix(name, "ebs:"); ok {
			ids.add(model.IDCloudID, v)
		} else if meaningfulName(name) {
			ids.add(model.IDName, name)
		}
	case sbom:
		// An SBOM file without image metadata: its file name names
		// nothing; the pipeline names the asset from the import.
	default:
		ids.add(model.IDRepoURL, md.RepoURL)
		if looksLikeRepoURL(name) {
			ids.add(model.IDRepoURL, name)
		} else if len(ids) == 0 && meaningfulName(name) {
			ids.add(model.IDName, name)
		}
		if md.Branch != "" {
			attrs["branch"] = md.Branch
		}
		if md.Commit != "" {
			attrs["commit"] = md.Commit
		}
	}
	a := report.AssetRef{Kind: kind, Identifiers: ids}
	if meaningfulName(name) {
		a.Name = name
	}
	if len(attrs) > 0 {
		a.Attributes = attrs
	}
	return a
}

// resourceScope is one Kubernetes workload (or other object) of a cluster
// report. Its misconfigurations belong to the workload; its vulnerabilities,
// secrets and licenses to the container image they were found in.
type resourceScope struct {
	p                  *parser
	list               string
	ns, kind, name     string
	seenKind, seenName bool
	mds                []metadata
	images             []osImage
	scannedImage       bool
	hasConfig          bool
}

type osImage struct{ ref, os string }

func (s *resourceScope) ready() bool { return s.seenKind && s.seenName && s.p.clusterSeen }

func (s *resourceScope) noteResult(ri resultInfo) {
	class := ri.Class
	if class == "" {
		// Old cluster reports: the list tells the kind of result.
		if s.list == "Misconfigurations" {
			class = "config"
		} else {
			class = "os-pkgs"
		}
	}
	switch class {
	case "config", "rbac", "infra":
		s.hasConfig = true
	case "os-pkgs":
		s.scannedImage = true
		if ref, osName := splitOSTarget(ri.Target); ref != "" {
			for _, im := range s.images {
				if im.ref == ref {
					return
				}
			}
			s.images = append(s.images, osImage{ref: ref, os: osName})
		}
	default:
		s.scannedImage = true
	}
}

func (s *resourceScope) assetFor(ri resultInfo, sel assetSel) report.AssetRef {
	if sel != selConfig && ri.Class != "config" {
		if a, ok := s.imageFor(ri); ok {
			return a
		}
	}
	return s.workload()
}

func (s *resourceScope) workload() report.AssetRef {
	var parts []string
	for _, v := range []string{s.ns, s.kind, s.name} {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, v)
		}
	}
	display := strings.Join(parts, "/")
	a := report.AssetRef{Kind: model.AssetCloud, Name: display}
	cluster := strings.TrimSpace(s.p.cluster)
	attrs := map[string]string{"kubernetes_kind": s.kind}
	if s.ns != "" {
		attrs["namespace"] = s.ns
	}
	if cluster != "" {
		// A cluster-qualified object path is unique; without the cluster
		// it is only a name.
		attrs["cluster"] = cluster
		a.Identifiers = []model.Identifier{{Kind: model.IDCloudID, Value: cluster + "/" + display}}
	} else if display != "" {
		a.Identifiers = []model.Identifier{{Kind: model.IDName, Value: display}}
	}
	a.Attributes = attrs
	return a
}

// imageFor names the image a package or secret result was found in: the
// OS-package target's reference, else the workload's last such image, and
// the Metadata entry that matches it.
func (s *resourceScope) imageFor(ri resultInfo) (report.AssetRef, bool) {
	var ref, osName string
	if ri.Class == "os-pkgs" || ri.Class == "" {
		ref, osName = splitOSTarget(ri.Target)
	}
	if ref == "" && len(s.images) > 0 {
		last := s.images[len(s.images)-1]
		ref, osName = last.ref, last.os
	}
	return s.image(ref, osName)
}

func (s *resourceScope) image(ref, osName string) (report.AssetRef, bool) {
	md := s.matchMD(ref)
	if ref == "" && md == nil {
		return report.AssetRef{}, false
	}
	var refs []string
	if ref != "" {
		refs = []string{ref}
	}
	var mds []metadata
	if md != nil {
		mds = []metadata{*md}
	}
	return imageAsset(refs, mds, osName), true
}

func (s *resourceScope) matchMD(ref string) *metadata {
	var withImage []*metadata
	for i := range s.mds {
		if s.mds[i].hasImage() {
			withImage = append(withImage, &s.mds[i])
		}
	}
	if len(withImage) == 0 {
		return nil
	}
	if ref == "" {
		if len(withImage) == 1 {
			return withImage[0]
		}
		return nil
	}
	for _, md := range withImage {
		for _, t := range md.RepoTags {
			if strings.TrimSpace(t) != "" && normRef(t) == normRef(ref) {
				return md
			}
		}
	}
	for _, md := range withImage {
		for _, d := range md.RepoDigests {
			if strings.TrimSpace(d) != "" && repoOf(d) == repoOf(ref) {
				return md
			}
		}
	}
	// One image, one metadata entry: they describe the same container
	// even when the tag was rewritten (pinned by digest, mirrored).
	if len(withImage) == 1 && len(s.images) <= 1 {
		return withImage[0]
	}
	return nil
}

// coveredAssets lists what the scan of this resource covered, so that the
// pipeline can close findings that went away: the workload when its
// configuration was checked, each image when its packages were scanned.
func (s *resourceScope) coveredAssets() []report.AssetRef {
	var out []report.AssetRef
	if s.hasConfig || s.list == "Misconfigurations" {
		out = append(out, s.workload())
	}
	if s.scannedImage {
		for _, im := range s.images {
			a, _ := s.image(im.ref, im.os)
			out = append(out, a)
		}
		if len(s.images) == 0 {
			if a, ok := s.image("", ""); ok {
				out = append(out, a)
			}
		}
	}
	return out
}
