package discover

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// Resolution rules, as recorded on identifiers and merges.
const (
	RuleNew      = "new-asset"
	RuleStrong   = "shared-strong-identifier" // + ":" + kind
	RuleHostname = "shared-hostname"
	RuleIP       = "shared-ip-no-conflict"
	RuleWeak     = "shared-weak-identifier" // + ":" + kind
)

// resolver matches a report's asset references to stored assets, within
// one import's transaction. It is deterministic: the same stored state and
// report give the same result.
type resolver struct {
	tx       store.IngestTx
	importID int64
	at       time.Time
	cache    map[string]int64
	canon    map[int64]int64 // merged-away id -> live id
	counts   *model.ImportCounts
	events   []AssetEvent
	// created holds the assets this import created: nothing is stored
	// about their findings yet, so the writer need not look.
	created map[int64]bool
	// pre holds what a batch's references match, read at once (see
	// prefetch); any write by the resolver makes it stale.
	pre prefetched
}

// prefetched is what the stored identifiers and assets said for a batch's
// references, and what the resolver has written since: an answer about a
// written identifier or asset is read again from the store.
type prefetched struct {
	ok          bool
	recs        map[model.Identifier][]store.IdentifierRecord
	assets      map[int64]model.Asset
	dirtyIDs    map[model.Identifier]bool
	dirtyAssets map[int64]bool
}

// wrote records what the resolver wrote, so that prefetched answers about
// it are not used.
func (p *prefetched) wrote(ids []model.Identifier, assets ...int64) {
	for _, id := range ids {
		p.dirtyIDs[id] = true
	}
	for _, a := range assets {
		p.dirtyAssets[a] = true
	}
}

// prefetch reads, in two queries, what resolve would read for each of refs
// one by one: a re-import resolves every asset of a batch without a
// round trip each (they cost most of a PostgreSQL re-import). The answers
// stand until the resolver writes.
func (r *resolver) prefetch(ctx context.Context, refs []report.AssetRef) error {
	r.pre = prefetched{}
	seen := map[model.Identifier]bool{}
	var all []model.Identifier
	for _, ref := range refs {
		ids, key := r.normalize(ref)
		if _, ok := r.cache[key]; ok {
			continue
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				all = append(all, id)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	recs, err := r.tx.LookupIdentifiers(ctx, all)
	if err != nil {
		return err
	}
	pre := prefetched{ok: true, recs: map[model.Identifier][]store.IdentifierRecord{}, assets: map[int64]model.Asset{},
		dirtyIDs: map[model.Identifier]bool{}, dirtyAssets: map[int64]bool{}}
	var assetIDs []int64
	for _, rec := range recs {
		pre.recs[rec.Identifier] = append(pre.recs[rec.Identifier], rec)
		if _, ok := pre.assets[rec.AssetID]; !ok {
			pre.assets[rec.AssetID] = model.Asset{}
			assetIDs = append(assetIDs, rec.AssetID)
		}
	}
	if len(assetIDs) > 0 {
		assets, err := r.load(ctx, assetIDs)
		if err != nil {
			return err
		}
		for _, a := range assets {
			pre.assets[a.ID] = a
		}
	}
	r.pre = pre
	return nil
}

// lookup is LookupIdentifiers, from the prefetched answers while they stand.
func (r *resolver) lookup(ctx context.Context, ids []model.Identifier) ([]store.IdentifierRecord, error) {
	if !r.pre.ok {
		return r.tx.LookupIdentifiers(ctx, ids)
	}
	var out []store.IdentifierRecord
	for _, id := range ids {
		if r.pre.dirtyIDs[id] {
			return r.tx.LookupIdentifiers(ctx, ids)
		}
		for _, rec := range r.pre.recs[id] {
			if r.pre.dirtyAssets[rec.AssetID] {
				return r.tx.LookupIdentifiers(ctx, ids)
			}
			out = append(out, rec)
		}
	}
	// In the store's order, and once each: ids are distinct, and a record
	// holds one identifier.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// load is LoadAssets, from the prefetched answers while they stand.
func (r *resolver) load(ctx context.Context, ids []int64) ([]model.Asset, error) {
	if !r.pre.ok {
		return r.tx.LoadAssets(ctx, ids)
	}
	out := make([]model.Asset, 0, len(ids))
	for _, id := range ids {
		if r.pre.dirtyAssets[id] {
			return r.tx.LoadAssets(ctx, ids)
		}
		if a, ok := r.pre.assets[id]; ok && a.ID != 0 {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// normalize returns ref's canonical identifiers and its cache key.
func (r *resolver) normalize(ref report.AssetRef) ([]model.Identifier, string) {
	if ref.Kind == "" {
		ref.Kind = model.AssetHost
	}
	ids := normalizeIdentifiers(ref.Kind, ref.Identifiers)
	if len(ids) == 0 {
		ids = []model.Identifier{{Kind: model.IDName, Value: assetName(ref, nil)}}
	}
	return ids, refKey(ref.Kind, ids)
}

// AssetEvent tells how an import created or merged an asset.
type AssetEvent struct {
	Action  string `json:"action"` // created, merged
	AssetID int64  `json:"asset_id"`
	From    int64  `json:"from,omitempty"`
	Name    string `json:"name"`
	Rule    string `json:"rule"`
}

type candidate struct {
	asset    model.Asset
	best     strength
	matched  []model.Identifier
	newestID int64 // newest identifier record that matched
	rule     string
}

func (r *resolver) live(id int64) int64 {
	for {
		next, ok := r.canon[id]
		if !ok {
			return id
		}
		id = next
	}
}

// resolve returns the live asset id for ref, creating or merging assets.
func (r *resolver) resolve(ctx context.Context, ref report.AssetRef) (int64, error) {
	if ref.Kind == "" {
		ref.Kind = model.AssetHost
	}
	ids, key := r.normalize(ref)
	if id, ok := r.cache[key]; ok {
		return r.live(id), nil
	}
	recs, err := r.lookup(ctx, ids)
	if err != nil {
		return 0, err
	}
	byAsset := map[int64]*candidate{}
	var assetIDs []int64
	for _, rec := range recs {
		c := byAsset[rec.AssetID]
		if c == nil {
			c = &candidate{}
			byAsset[rec.AssetID] = c
			assetIDs = append(assetIDs, rec.AssetID)
		}
		c.matched = append(c.matched, rec.Identifier)
		if s := strengthOf(rec.Kind); s > c.best {
			c.best = s
		}
		c.newestID = max(c.newestID, rec.ID)
	}
	var cands []*candidate
	if len(assetIDs) > 0 {
		assets, err := r.load(ctx, assetIDs)
		if err != nil {
			return 0, err
		}
		for _, a := range assets {
			c := byAsset[a.ID]
			c.asset = a
			if a.Kind != ref.Kind || conflicts(ids, a.Identifiers, c.best) {
				continue
			}
			c.rule = ruleFor(c)
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.best != b.best {
			return a.best > b.best
		}
		if len(a.matched) != len(b.matched) {
			return len(a.matched) > len(b.matched)
		}
		if a.best == weak && a.newestID != b.newestID {
			return a.newestID > b.newestID // the latest holder of a moving identifier
		}
		return a.asset.ID < b.asset.ID
	})

	var chosen int64
	rule := RuleNew
	if len(cands) == 0 {
		a := model.Asset{Kind: ref.Kind, Name: assetName(ref, ids), Identifiers: ids, Attributes: ref.Attributes, FirstSeen: r.at, LastSeen: r.at}
		if err := r.tx.CreateAsset(ctx, &a, r.importID, RuleNew); err != nil {
			return 0, err
		}
		r.pre.wrote(ids, a.ID)
		r.counts.AssetsCreated++
		if r.created == nil {
			r.created = map[int64]bool{}
		}
		r.created[a.ID] = true
		r.events = append(r.events, AssetEvent{Action: "created", AssetID: a.ID, Name: a.Name, Rule: RuleNew})
		chosen = a.ID
	} else {
		top := cands[0]
		chosen, rule = top.asset.ID, top.rule
		// Two live assets that share a strong identifier are one asset seen
		// twice: fold the newer into the older, unless a person split them.
		if top.best == strong {
			var same []*candidate
			for _, c := range cands {
				if c.best == strong {
					same = append(same, c)
				}
			}
			sort.Slice(same, func(i, j int) bool { return same[i].asset.ID < same[j].asset.ID })
			chosen, rule = same[0].asset.ID, same[0].rule
			for _, c := range same[1:] {
				blocked, err := r.tx.MergeBlocked(ctx, chosen, c.asset.ID)
				if err != nil {
					return 0, err
				}
				if blocked {
					continue
				}
				r.pre.ok = false // a merge moves findings and identifiers: read everything again
				if err := r.tx.MergeAssets(ctx, chosen, c.asset.ID, c.rule, r.importID, r.at); err != nil {
					return 0, err
				}
				r.canon[c.asset.ID] = chosen
				r.counts.AssetsMerged++
				r.events = append(r.events, AssetEvent{Action: "merged", AssetID: chosen, From: c.asset.ID, Name: c.asset.Name, Rule: c.rule})
			}
		}
		have := map[model.Identifier]bool{}
		for _, id := range top.asset.Identifiers {
			have[id] = true
		}
		var add []model.Identifier
		for _, id := range ids {
			if !have[id] {
				add = append(add, id)
			}
		}
		if len(add) > 0 {
			if err := r.tx.AddIdentifiers(ctx, chosen, add, r.importID, rule, r.at); err != nil {
				return 0, err
			}
			r.pre.wrote(add, chosen)
			// An asset first seen by address only (a network scan) takes
			// the name a later report gives it.
			if better := assetName(ref, ids); chosen == top.asset.ID && weakName(top.asset) && !weakNameOf(better, ids) && better != top.asset.Name {
				if err := r.tx.RenameAsset(ctx, chosen, better); err != nil {
					return 0, err
				}
				r.pre.wrote(nil, chosen)
			}
		}
	}
	r.cache[key] = chosen
	return chosen, nil
}

// conflicts reports whether a stored asset's identifiers contradict the
// report's: for a kind that names one thing (FQDN, host name, ARN, digest...)
// both have values and share none. Only kinds at least as strong as the
// best match count, so a shared FQDN is not undone by a differing IP.
func conflicts(ref, stored []model.Identifier, matched strength) bool {
	for _, k := range conflicting {
		if strengthOf(k) < matched {
			continue
		}
		var a, b []string
		for _, id := range ref {
			if id.Kind == k {
				a = append(a, id.Value)
			}
		}
		for _, id := range stored {
			if id.Kind == k {
				b = append(b, id.Value)
			}
		}
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		shared := false
		for _, x := range a {
			for _, y := range b {
				if x == y {
					shared = true
				}
			}
		}
		if !shared {
			return true
		}
	}
	return false
}

func ruleFor(c *candidate) string {
	kinds := map[model.IdentifierKind]bool{}
	for _, id := range c.matched {
		kinds[id.Kind] = true
	}
	switch c.best {
	case strong:
		for _, k := range []model.IdentifierKind{model.IDARN, model.IDCloudID, model.IDImageDigest, model.IDImageID, model.IDFQDN, model.IDRepoURL, model.IDURL, model.IDMAC} {
			if kinds[k] {
				return fmt.Sprintf("%s:%s", RuleStrong, k)
			}
		}
	case medium:
		return RuleHostname
	}
	if kinds[model.IDIPv4] || kinds[model.IDIPv6] {
		return RuleIP
	}
	for _, id := range c.matched {
		return fmt.Sprintf("%s:%s", RuleWeak, id.Kind)
	}
	return RuleWeak
}

// weakName reports whether an asset is named by an address or not at all.
func weakName(a model.Asset) bool { return weakNameOf(a.Name, a.Identifiers) }

func weakNameOf(name string, ids []model.Identifier) bool {
	if strings.HasPrefix(name, "unnamed ") {
		return true
	}
	for _, id := range ids {
		if (id.Kind == model.IDIPv4 || id.Kind == model.IDIPv6 || id.Kind == model.IDMAC) && id.Value == name {
			return true
		}
	}
	return false
}
