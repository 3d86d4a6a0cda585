// Package discover is the ingest pipeline: detect a report's format, stream
// it through its parser, normalize, resolve assets, fingerprint and
// de-duplicate findings across tools, apply the lifecycle, and persist it
// all in one transaction per report.
package discover

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// Pipeline imports reports into a store.
type Pipeline struct {
	Store    store.Store
	Registry *report.Registry
	Limits   Limits
	Now      func() time.Time
	Log      *slog.Logger
}

// Options change one import.
type Options struct {
	// Format names the format instead of detecting it.
	Format string
	// Asset is the asset for findings whose report names none (SARIF
	// without repository information, a generic CSV without asset
	// columns). Without it such findings go to a repository asset named
	// after the file.
	Asset *report.AssetRef
	// Name is how the report is named in the import log and in errors
	// (an upload's name); the path by default.
	Name string
}

// Result is what one report's import did.
type Result struct {
	Import model.Import `json:"import"`
	Assets []AssetEvent `json:"asset_events,omitempty"`
}

// New returns a pipeline with default limits.
func New(st store.Store, reg *report.Registry, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{Store: st, Registry: reg, Limits: DefaultLimits, Now: time.Now, Log: log}
}

// ImportFile imports the report(s) in path ("-" for stdin). Each report is
// its own transaction: one that fails changes nothing, and the error says
// which file and where.
func (p *Pipeline) ImportFile(ctx context.Context, path string, opt Options) ([]Result, error) {
	var results []Result
	err := p.openUnits(path, opt.Name, p.Registry, opt.Format, func(u unit) error {
		res, err := p.importUnit(ctx, u, opt)
		if err != nil {
			return err
		}
		results = append(results, res)
		return nil
	})
	if err != nil {
		var pe *report.ParseError
		if errors.As(err, &pe) {
			if pe.File == "" {
				pe.File = firstNonEmpty(opt.Name, path)
			}
			return results, err
		}
		if name := firstNonEmpty(opt.Name, path); !strings.Contains(err.Error(), name) {
			err = fmt.Errorf("%s: %w", name, err)
		}
	}
	return results, err
}

// batch is what the parser hands the writer at a time.
type batch struct {
	source string // set when the report named its tool (SourceNamer)
	assets []report.AssetRef
	obs    []report.Observation
	// prep[i] is what obs[i] needs that no database does, computed after
	// normalize on the parser's goroutine (see batchSink.flush).
	prep []prepared
}

// prepared is an observation's finding's structured fields encoded for the
// store, the digest of its descriptive text, and its finding and
// detection content hashes.
type prepared struct {
	json               store.FindingJSON
	text, fhash, dhash string
}

// batchSink collects a parser's output into batches for the writer.
type batchSink struct {
	ctx  context.Context
	out  chan<- batch
	size int
	cur  batch
	sent bool
	// digests remembers the digests of the texts seen last: a report
	// repeats a vulnerability's text on every host, and looking it up
	// costs a fraction of hashing it again.
	digests map[store.FindingText]string
}

// maxDigests bounds batchSink.digests.
const maxDigests = 8192

// textDigest is t.Digest(), remembered.
func (s *batchSink) textDigest(t store.FindingText) string {
	if d, ok := s.digests[t]; ok {
		return d
	}
	if s.digests == nil || len(s.digests) >= maxDigests {
		s.digests = make(map[store.FindingText]string, 256)
	}
	d := t.Digest()
	s.digests[t] = d
	return d
}

func (s *batchSink) Asset(a report.AssetRef) error {
	s.cur.assets = append(s.cur.assets, a)
	if len(s.cur.assets) >= s.size {
		return s.flush()
	}
	return nil
}

func (s *batchSink) Observe(o report.Observation) error {
	if s.cur.obs == nil {
		// Observations are large: growing the slice by doubling copies
		// each several times.
		s.cur.obs = make([]report.Observation, 0, min(s.size, 4096))
	}
	s.cur.obs = append(s.cur.obs, o)
	if len(s.cur.obs) >= s.size {
		return s.flush()
	}
	return nil
}

// NameSource records the tool a generic report names, before any finding.
func (s *batchSink) NameSource(name string) error {
	if s.sent || len(s.cur.assets) > 0 || len(s.cur.obs) > 0 {
		return fmt.Errorf("must come before the assets and findings")
	}
	name = strings.ToLower(strings.TrimSpace(name))
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') || len(name) > 64 {
			return fmt.Errorf("%q: want at most 64 letters, digits, '-', '_' or '.'", name)
		}
	}
	s.cur.source = name
	return nil
}

func (s *batchSink) flush() error {
	if len(s.cur.assets) == 0 && len(s.cur.obs) == 0 {
		return nil
	}
	// The work that needs no database runs here, on the parser's goroutine,
	// while the writer's goroutine spends its time in the store.
	for i := range s.cur.assets {
		cleanRef(&s.cur.assets[i])
	}
	s.cur.prep = make([]prepared, len(s.cur.obs))
	for i := range s.cur.obs {
		o, p := &s.cur.obs[i], &s.cur.prep[i]
		cleanObservation(o)
		normalize(o)
		p.json = store.EncodeFinding(&o.Finding)
		f := &o.Finding
		p.text = s.textDigest(store.FindingText{Title: f.Title, Description: f.Description, Remediation: f.Remediation, References: p.json.References})
		p.fhash, p.dhash = findingHash(&o.Finding, &p.json), detectionHash(o)
	}
	select {
	case s.out <- s.cur:
		s.cur = batch{}
		s.sent = true
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func (p *Pipeline) importUnit(ctx context.Context, u unit, opt Options) (Result, error) {
	var format report.Format
	var err error
	empty := len(u.head) < report.DetectBytes && len(bytes.TrimSpace(u.head)) == 0
	if empty && opt.Format == "" {
		return Result{}, fmt.Errorf("%s: the file is empty: nothing tells which tool wrote it (name the format with --format to record an empty report)", u.name)
	}
	if opt.Format != "" {
		format, err = p.Registry.Lookup(opt.Format)
	} else {
		format, err = p.Registry.Detect(u.head)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", u.name, err)
	}
	key, err := p.secretKey(ctx)
	if err != nil {
		return Result{}, err
	}
	at := p.Now().UTC().Truncate(time.Microsecond)
	imp := model.Import{Source: format.Name(), FormatVersion: format.Version(), File: cleanText(u.name), StartedAt: at}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 2)
	parseErr := make(chan error, 1)
	go func() {
		defer close(ch)
		sink := &batchSink{ctx: ctx, out: ch, size: max(p.Limits.BatchSize, 1)}
		var err error
		if !empty { // an empty report, of a named format, has nothing to parse
			err = safeParse(ctx, format, u, sink)
		}
		if err == nil {
			err = sink.flush()
		}
		parseErr <- err
	}()

	var res Result
	err = p.Store.Ingest(ctx, func(tx store.IngestTx) error {
		if err := tx.BeginImport(ctx, &imp); err != nil {
			return err
		}
		w := &writer{
			tx: tx, source: format.Name(), at: at, importID: imp.ID, secretKey: key, userAsset: opt.Asset, fileName: defaultAssetName(u.name),
			res:    &resolver{tx: tx, importID: imp.ID, at: at, cache: map[string]int64{}, canon: map[int64]int64{}, counts: &imp.Counts},
			counts: &imp.Counts, covered: map[int64]bool{}, seenFP: map[[16]byte]struct{}{}, seenFinding: idSet{}, loaded: map[int64]bool{},
		}
		for b := range ch {
			if b.source != "" {
				w.source = format.Name() + ":" + b.source
				imp.Source = w.source
			}
			if err := w.write(ctx, b); err != nil {
				cancel()
				for range ch {
				}
				return err
			}
		}
		if err := <-parseErr; err != nil {
			return err
		}
		if err := w.finish(ctx); err != nil {
			return err
		}
		imp.FinishedAt = p.Now().UTC()
		imp.Digest = u.digest()
		if err := tx.FinishImport(ctx, imp); err != nil {
			return err
		}
		res = Result{Import: imp, Assets: w.res.events}
		return nil
	})
	if err != nil {
		return Result{}, p.locate(u, err)
	}
	p.Log.Info("import", "file", u.name, "format", imp.Source, "findings", imp.Counts.Findings, "new", imp.Counts.New,
		"fixed", imp.Counts.Fixed, "reopened", imp.Counts.Reopened, "assets", imp.Counts.AssetsCovered)
	return res, nil
}

// safeParse runs a parser, turning a panic into an error: no input may
// bring the process down.
func safeParse(ctx context.Context, f report.Format, u unit, sink report.Sink) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &report.ParseError{Offset: -1, Err: fmt.Errorf("%s parser failed on this input (%v); please report it", f.Name(), r)}
		}
	}()
	if err := f.Parse(ctx, u.r, sink); err != nil {
		var pe *report.ParseError
		if !errors.As(err, &pe) && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrLimit) {
			err = &report.ParseError{Offset: -1, Err: err}
		}
		return fmt.Errorf("%s report: %w", f.Name(), err)
	}
	return nil
}

// locate names the file in a parse error and turns an offset into a line.
func (p *Pipeline) locate(u unit, err error) error {
	var pe *report.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", u.name, err)
	}
	pe.File = u.name
	if pe.Line == 0 && pe.Offset >= 0 && u.path != "" {
		if l, c, ok := lineCol(u.path, pe.Offset); ok {
			pe.Line, pe.Column = l, c
		}
	}
	return pe
}

func defaultAssetName(file string) string {
	base := filepath.Base(strings.ReplaceAll(file, "!", "/"))
	for ext := filepath.Ext(base); ext != "" && len(base) > len(ext); ext = filepath.Ext(base) {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// secretKey is the instance key for hashing secrets in fingerprints; it is
// created once per database and never leaves it.
func (p *Pipeline) secretKey(ctx context.Context) ([]byte, error) {
	v, err := p.Store.Setting(ctx, "secret_fingerprint_key", func() (string, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return hex.EncodeToString(b), nil
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

// writer applies batches to the store inside the import's transaction.
type writer struct {
	tx        store.IngestTx
	res       *resolver
	source    string
	at        time.Time
	importID  int64
	secretKey []byte
	userAsset *report.AssetRef // --asset: for findings whose report names no asset
	fileName  string           // otherwise such findings go to an asset named after the file
	counts    *model.ImportCounts

	covered     map[int64]bool
	coverOrder  []int64
	seenFP      map[[16]byte]struct{}
	seenFinding idSet
	assetKinds  map[int64]model.AssetKind
	loaded      map[int64]bool // assets whose stored findings states has read
	// present holds, for the assets states read whole, the detections of
	// this source that were present then and whose finding this import has
	// not seen yet: at the end they are the coverage rule's absent ones,
	// without reading every present detection again (see finish).
	present     []presentDetection
	presentKept int // len(present) after the last pruning
	last        lastRef
}

// presentDetection is a stored present detection of an asset's finding.
type presentDetection struct{ asset, detection, finding int64 }

// prunePresent drops the detections whose finding has been seen, when the
// list has doubled since it was last pruned.
func (w *writer) prunePresent() {
	if len(w.present) < 2*w.presentKept+4096 {
		return
	}
	w.present = slices.DeleteFunc(w.present, func(d presentDetection) bool { return w.seenFinding.has(d.finding) })
	w.presentKept = len(w.present)
}

// idSet is a set of row ids, a bit per id in pages of 64Ki ids: ids are
// dense, and a map of a million of them costs tens of megabytes that the
// database's page cache makes better use of.
type idSet map[int64]*[1024]uint64

func (s idSet) add(id int64) {
	p := s[id>>16]
	if p == nil {
		p = new([1024]uint64)
		s[id>>16] = p
	}
	p[id>>6&1023] |= 1 << (id & 63)
}

func (s idSet) has(id int64) bool {
	p := s[id>>16]
	return p != nil && p[id>>6&1023]&(1<<(id&63)) != 0
}

func (w *writer) cover(id int64, kind model.AssetKind) {
	if !w.covered[id] {
		w.covered[id] = true
		w.coverOrder = append(w.coverOrder, id)
	}
	if w.assetKinds == nil {
		w.assetKinds = map[int64]model.AssetKind{}
	}
	w.assetKinds[id] = kind
}

func (w *writer) resolve(ctx context.Context, ref report.AssetRef) (int64, model.AssetKind, error) {
	// A report lists an asset's findings together: the previous answer
	// stands for the same reference, without normalizing its identifiers
	// again (the resolver would answer from its cache, as the asset's
	// attributes count only when it creates the asset).
	if l := &w.last; l.ok && sameRef(ref, l.ref) {
		id := w.res.live(l.id)
		w.cover(id, l.kind)
		return id, l.kind, nil
	}
	raw := ref
	ref = w.effective(ref)
	id, err := w.res.resolve(ctx, ref)
	if err != nil {
		return 0, "", err
	}
	// The identifiers are copied: a parser may reuse their array.
	raw.Identifiers = slices.Clone(raw.Identifiers)
	w.last = lastRef{ok: true, ref: raw, id: id, kind: ref.Kind}
	w.cover(id, ref.Kind)
	return id, ref.Kind, nil
}

// effective is the reference to resolve for ref: --asset or the file's
// asset when the report names none, and hosts by default.
func (w *writer) effective(ref report.AssetRef) report.AssetRef {
	if len(ref.Identifiers) == 0 {
		switch {
		case w.userAsset != nil:
			ref = *w.userAsset
		case strings.TrimSpace(ref.Name) == "":
			if ref.Kind == "" {
				ref.Kind = model.AssetRepository
			}
			ref.Name = w.fileName
		}
	}
	if ref.Kind == "" {
		ref.Kind = model.AssetHost
	}
	return ref
}

// prefetch has the resolver read at once what the batch's asset
// references match (see resolver.prefetch).
func (w *writer) prefetch(ctx context.Context, b batch) error {
	var refs []report.AssetRef
	add := func(ref report.AssetRef) {
		if n := len(refs); n > 0 && sameRef(ref, refs[n-1]) {
			return // observations of one asset come together
		}
		refs = append(refs, ref)
	}
	for _, a := range b.assets {
		add(w.effective(a))
	}
	for i := range b.obs {
		add(w.effective(b.obs[i].Asset))
	}
	return w.res.prefetch(ctx, refs)
}

// sameRef reports whether two asset references are the same reference.
func sameRef(a, b report.AssetRef) bool {
	return a.Kind == b.Kind && a.Name == b.Name && slices.Equal(a.Identifiers, b.Identifiers)
}

// lastRef is the asset reference the writer resolved last.
type lastRef struct {
	ok   bool
	ref  report.AssetRef
	id   int64
	kind model.AssetKind
}

type pending struct {
	obs      *report.Observation
	prep     *prepared
	fp       string
	key      string
	assetID  int64
	isNew    bool
	findingW bool // write the finding
	detW     bool // write the detection
}

func (w *writer) write(ctx context.Context, b batch) error {
	if err := w.prefetch(ctx, b); err != nil {
		return err
	}
	for _, a := range b.assets {
		if _, _, err := w.resolve(ctx, a); err != nil {
			return err
		}
	}
	var ps []*pending
	for i := range b.obs {
		o := &b.obs[i]
		assetID, kind, err := w.resolve(ctx, o.Asset)
		if err != nil {
			return err
		}
		key := findingKey(w.source, kind, o, w.secretKey)
		fp := model.Fingerprint(assetID, key)
		var k [16]byte
		hex.Decode(k[:], []byte(fp))
		w.counts.Detections++
		if _, dup := w.seenFP[k]; dup {
			w.counts.Duplicates++
			continue
		}
		w.seenFP[k] = struct{}{}
		o.Secret = "" // only its keyed hash, inside the fingerprint, is kept
		ps = append(ps, &pending{obs: o, prep: &b.prep[i], fp: fp, key: key, assetID: assetID})
	}
	if len(ps) == 0 {
		return nil
	}
	states, err := w.states(ctx, ps)
	if err != nil {
		return err
	}
	fws := make([]store.FindingWrite, 0, len(ps))
	var reopen []int64
	for _, p := range ps {
		st, exists := states[p.fp]
		if !exists {
			p.isNew, p.findingW, p.detW = true, true, true
			w.counts.New++
		} else {
			changed := false
			if st.Source == w.source && st.ContentHash != p.prep.fhash {
				// A hash of an earlier version that still matches: the
				// finding is rewritten for its new hash, unchanged.
				p.findingW = true
				changed = len(st.ContentHash) != legacyHashLen || st.ContentHash != legacyFindingHash(&p.obs.Finding)
			}
			if st.DetectionID == 0 || !st.Present || st.DetectionHash != p.prep.dhash {
				p.detW = true
				changed = changed || st.DetectionID != 0 && st.Present
			}
			if st.DetectionID == 0 && st.Source != w.source {
				w.counts.Correlated++
			}
			switch {
			case st.Status == model.StatusFixed:
				reopen = append(reopen, st.FindingID)
				w.counts.Reopened++
			case changed || (st.DetectionID != 0 && !st.Present):
				// Details changed, or this tool sees again what it had
				// stopped seeing while another tool kept the finding open.
				w.counts.Updated++
			case st.DetectionID != 0:
				w.counts.Unchanged++
			}
			w.seenFinding.add(st.FindingID)
		}
		if p.findingW {
			f := p.obs.Finding
			f.AssetID, f.Fingerprint = p.assetID, p.fp
			fws = append(fws, store.FindingWrite{Finding: f, Key: p.key, Source: w.source, ContentHash: p.prep.fhash, JSON: &p.prep.json, TextDigest: p.prep.text, Fresh: p.isNew})
		}
	}
	ids := map[string]int64{}
	if len(fws) > 0 {
		if ids, err = w.tx.UpsertFindings(ctx, fws, w.at); err != nil {
			return err
		}
	}
	dws := make([]store.DetectionWrite, 0, len(ps))
	for _, p := range ps {
		if !p.detW {
			continue
		}
		id := ids[p.fp]
		if id == 0 {
			id = states[p.fp].FindingID
		}
		if id == 0 {
			return fmt.Errorf("finding %s was not written", p.fp)
		}
		w.seenFinding.add(id)
		dws = append(dws, store.DetectionWrite{FindingID: id, Source: w.source, ToolID: p.obs.ToolID, Severity: p.obs.ToolSeverity,
			Evidence: p.obs.Evidence, ContentHash: p.prep.dhash, Fresh: p.isNew})
	}
	if len(dws) > 0 {
		if err := w.tx.UpsertDetections(ctx, dws, w.importID, w.at); err != nil {
			return err
		}
	}
	if len(reopen) > 0 {
		if err := w.tx.ReopenFindings(ctx, reopen, w.at); err != nil {
			return err
		}
	}
	w.prunePresent()
	return nil
}

// states reads the stored state of the batch's findings. An asset seen for
// the first time in this import has all its findings read at once (a range
// of one index); the findings of an asset a previous batch already read
// (its observations straddle batches) are looked up one by one, so that no
// asset is read whole twice. Assets this import created have nothing
// stored.
func (w *writer) states(ctx context.Context, ps []*pending) (map[string]store.FindingState, error) {
	var assets []int64
	var keys []store.FindingKey
	whole := map[int64]bool{} // assets this batch reads whole
	for _, p := range ps {
		switch {
		case w.res.created[p.assetID] || whole[p.assetID]:
		case !w.loaded[p.assetID]:
			w.loaded[p.assetID], whole[p.assetID] = true, true
			assets = append(assets, p.assetID)
		default:
			keys = append(keys, store.FindingKey{AssetID: p.assetID, Key: p.key})
		}
	}
	states, err := w.tx.AssetFindingStates(ctx, w.source, assets)
	if err != nil {
		return nil, err
	}
	for _, st := range states {
		if st.DetectionID != 0 && st.Present {
			w.present = append(w.present, presentDetection{asset: st.AssetID, detection: st.DetectionID, finding: st.FindingID})
		}
	}
	if len(keys) == 0 {
		return states, nil
	}
	more, err := w.tx.FindingStates(ctx, w.source, keys)
	maps.Copy(states, more)
	return states, err
}

// finish applies the coverage rule: on every asset this import covered,
// this source's detections it did not see again are now absent, and a
// finding with no present detection left is fixed.
func (w *writer) finish(ctx context.Context) error {
	covered := make([]int64, 0, len(w.coverOrder))
	seen := map[int64]bool{}
	for _, id := range w.coverOrder {
		id = w.res.live(id)
		if !seen[id] {
			seen[id] = true
			covered = append(covered, id)
		}
	}
	// An asset this import created has no detections but the ones it
	// wrote, all seen, unless another asset was merged into it.
	targets := map[int64]bool{}
	for _, into := range w.res.canon {
		targets[w.res.live(into)] = true
	}
	// An asset read whole, that nothing was merged into since, has the
	// present detections that read found (w.present): this import changed
	// none of them but by seeing their findings. The others are read now.
	known := map[int64]bool{}
	var stored []int64
	for _, id := range covered {
		switch {
		case targets[id]:
			stored = append(stored, id)
		case w.loaded[id]:
			known[id] = true
		case !w.res.created[id]:
			stored = append(stored, id)
		}
	}
	var absent []int64
	for _, d := range w.present {
		if known[d.asset] && !w.seenFinding.has(d.finding) {
			absent = append(absent, d.detection)
		}
	}
	err := w.tx.PresentDetections(ctx, w.source, stored, func(detID, findingID int64) error {
		if !w.seenFinding.has(findingID) {
			absent = append(absent, detID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(absent) > 0 {
		fixed, err := w.tx.MarkAbsent(ctx, absent, w.importID, w.at)
		if err != nil {
			return err
		}
		w.counts.Fixed = fixed
	}
	if err := w.tx.SetCoverage(ctx, w.source, covered, w.importID, w.at); err != nil {
		return err
	}
	if err := w.tx.TouchAssets(ctx, covered, w.at); err != nil {
		return err
	}
	w.counts.Findings = len(w.seenFP)
	w.counts.AssetsCovered = len(covered)
	return nil
}

// Size caps for stored text, so that one verbose report cannot bloat the
// database.
const (
	maxTitle       = 500
	maxDescription = 32 << 10
	maxEvidence    = 8 << 10
	maxRemediation = 16 << 10
)

// normalize fills defaults and caps sizes.
func normalize(o *report.Observation) {
	f := &o.Finding
	if f.Kind == "" {
		f.Kind = model.KindVulnerability
	}
	if f.Severity.Rank() == 0 {
		if s, ok := report.Severity(o.ToolSeverity); ok {
			f.Severity = s
		} else {
			best := 0.0
			for _, c := range f.CVSS {
				best = max(best, c.Score)
			}
			f.Severity = report.SeverityFromScore(best)
		}
	}
	if f.VulnID != "" || len(f.Aliases) > 0 {
		f.VulnID, f.Aliases = report.VulnIDs(append([]string{f.VulnID}, f.Aliases...)...)
	}
	f.Title = strings.TrimSpace(f.Title)
	if f.Title == "" {
		f.Title = firstNonEmpty(f.VulnID, f.RuleID, o.ToolID, string(f.Kind))
	}
	f.Title = report.Truncate(f.Title, maxTitle)
	f.Description = report.Truncate(f.Description, maxDescription)
	f.Remediation = report.Truncate(f.Remediation, maxRemediation)
	o.Evidence = report.Truncate(o.Evidence, maxEvidence)
}

// findingHash is the hash of f's content, for telling a changed finding
// from an unchanged one across imports: a SHA-256 of its fields, each
// length-prefixed, with the structured ones as the store's JSON texts js
// (already encoded for writing: hashing encodes nothing again). 20 hex
// digits (it tells versions of one finding apart, nothing more); earlier
// versions stored legacyFindingHash's 24.
func findingHash(f *model.Finding, js *store.FindingJSON) string {
	return store.DigestFields(10, string(f.Kind), f.Title, f.Description, string(f.Severity), f.VulnID,
		js.Aliases, js.CWEs, js.CVSS, f.RuleID, js.Component, js.Location, f.Remediation, js.References)
}

// legacyFindingHash is the content hash of versions before findingHash: a
// stored hash of its length still means "unchanged" when it matches, and
// the finding is rewritten with the new one (see writer.write).
func legacyFindingHash(f *model.Finding) string {
	b, _ := json.Marshal(struct {
		K  model.FindingKind
		T  string
		D  string
		S  model.Severity
		V  string
		A  []string
		C  []int
		CV []model.CVSS
		R  string
		Co model.Component
		L  model.Location
		Re string
		Rf []string
	}{f.Kind, f.Title, f.Description, f.Severity, f.VulnID, f.Aliases, f.CWEs, f.CVSS, f.RuleID, f.Component, f.Location, f.Remediation, f.References})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// legacyHashLen is the length of a legacyFindingHash.
const legacyHashLen = 24

func detectionHash(o *report.Observation) string {
	h := sha256.Sum256([]byte(o.ToolID + "\x00" + o.ToolSeverity + "\x00" + o.Evidence))
	return hex.EncodeToString(h[:12])
}
