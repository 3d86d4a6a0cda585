package webfinding

import (
	"context"
	"fmt"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// maxEvidence caps Observation.Evidence.
const maxEvidence = 4 << 10

// maxInstances caps how many instance lines a grouped observation keeps; the
// rest are only counted, so memory stays flat on huge reports.
const maxInstances = 100

// group is one issue type on one web application with all the places the
// scanner found it.
type group struct {
	obs     report.Observation
	first   string   // evidence of the instance the observation is located at
	lines   []string // one line per instance
	seen    map[string]bool
	dropped int
}

// Grouper merges instances of the same issue on the same asset into one
// observation, the way the scanner's own issue list does, listing every
// instance in the evidence. The observation is located at the instance
// with the lowest URL (then method, then parameter) rather than the first
// one listed: a finding's identity includes its location, and scanners do
// not always list the same instances in the same order.
type Grouper struct {
	order []*group
	byKey map[string]*group
}

// NewGrouper returns an empty Grouper.
func NewGrouper() *Grouper { return &Grouper{byKey: map[string]*group{}} }

// Add records one instance. key names the issue (the asset is added to it);
// line describes the instance; evidence is its own proof.
func (g *Grouper) Add(key string, obs report.Observation, line, evidence string) {
	k := AssetKey(obs.Asset) + "\x00" + key
	gr, ok := g.byKey[k]
	if !ok {
		gr = &group{obs: obs, first: evidence, seen: map[string]bool{}}
		g.byKey[k] = gr
		g.order = append(g.order, gr)
	} else {
		if obs.Finding.Severity.Rank() > gr.obs.Finding.Severity.Rank() {
			// Instances of one issue may be rated differently; the
			// issue is as severe as its worst instance.
			gr.obs.Finding.Severity = obs.Finding.Severity
			gr.obs.ToolSeverity = obs.ToolSeverity
		}
		if lowerLocation(obs.Finding.Location, gr.obs.Finding.Location) {
			gr.obs.Finding.Location = obs.Finding.Location
			gr.first = evidence
		}
	}
	if line == "" || gr.seen[line] {
		return
	}
	if len(gr.lines) >= maxInstances {
		gr.dropped++
		return
	}
	gr.seen[line] = true
	gr.lines = append(gr.lines, line)
}

// lowerLocation orders instances by URL, method and parameter; an instance
// without a URL never displaces one with a URL.
func lowerLocation(a, b model.Location) bool {
	switch {
	case a.URL == "":
		return false
	case b.URL == "":
		return true
	}
	return a.URL+"\x00"+a.Method+"\x00"+a.Param < b.URL+"\x00"+b.Method+"\x00"+b.Param
}

// Flush emits every group in the order first seen and empties the Grouper.
func (g *Grouper) Flush(ctx context.Context, sink report.Sink) error {
	for i, gr := range g.order {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		obs := gr.obs
		obs.Evidence = report.Truncate(gr.evidence(), maxEvidence)
		if err := sink.Observe(obs); err != nil {
			return err
		}
	}
	g.order, g.byKey = nil, map[string]*group{}
	return nil
}

func (gr *group) evidence() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(gr.first))
	if n := len(gr.lines) + gr.dropped; n > 1 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "Instances (%d):\n", n)
		for _, l := range gr.lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		if gr.dropped > 0 {
			fmt.Fprintf(&b, "... and %d more\n", gr.dropped)
		}
	}
	return strings.TrimSpace(b.String())
}
