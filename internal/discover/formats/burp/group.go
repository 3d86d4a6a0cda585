package burp

import (
	"context"
	"fmt"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
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
	first   string   // evidence of the first instance
	lines   []string // one line per instance
	seen    map[string]bool
	dropped int
}

// grouper merges instances of the same issue on the same asset into one
// observation, the way the scanner's own issue list does, keeping the first
// instance's location and listing every instance in the evidence.
type grouper struct {
	order []*group
	byKey map[string]*group
}

func newGrouper() *grouper { return &grouper{byKey: map[string]*group{}} }

// add records one instance. key names the issue (the asset is added to it);
// line describes the instance; evidence is its own proof.
func (g *grouper) add(key string, obs report.Observation, line, evidence string) {
	k := assetKey(obs.Asset) + "\x00" + key
	gr, ok := g.byKey[k]
	if !ok {
		gr = &group{obs: obs, first: evidence, seen: map[string]bool{}}
		g.byKey[k] = gr
		g.order = append(g.order, gr)
	} else if obs.Finding.Severity.Rank() > gr.obs.Finding.Severity.Rank() {
		// Instances of one issue may be rated differently; the issue
		// is as severe as its worst instance.
		gr.obs.Finding.Severity = obs.Finding.Severity
		gr.obs.ToolSeverity = obs.ToolSeverity
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

// flush emits every group in the order first seen.
func (g *grouper) flush(ctx context.Context, sink report.Sink) error {
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
