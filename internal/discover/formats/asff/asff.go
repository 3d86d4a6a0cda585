// Package asff reads findings in the AWS Security Finding Format: a JSON
// array of ASFF findings as Prowler (-M json-asff), GuardDuty and Inspector
// exports write them. The mapping of one ASFF finding is exported so that the
// Security Hub export format, which wraps the same findings in an object,
// shares it.
package asff

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the ASFF format.
func New() report.Format { return format{} }

func (format) Name() string        { return "asff" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "AWS Security Finding Format (ASFF) JSON array" }

// Detect claims a JSON array of ASFF findings. A Security Hub export wraps
// the same findings in {"Findings": [...]}; that object root belongs to the
// awssecurityhub format, so only the array root is claimed here.
func (format) Detect(head []byte) int {
	if Root(head) != '[' {
		return 0
	}
	if LooksLikeASFF(head) {
		return 95
	}
	return 0
}

// Root returns the first byte of the JSON document in head, after a UTF-8
// byte order mark and white space, or 0.
func Root(head []byte) byte {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return 0
	}
	return head[0]
}

// LooksLikeASFF reports whether head holds ASFF finding keys: the schema
// version every ASFF finding carries next to its product ARN.
func LooksLikeASFF(head []byte) bool {
	return bytes.Contains(head, []byte(`"SchemaVersion"`)) && bytes.Contains(head, []byte(`"ProductArn"`))
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := lead.SkipBOM(r)
	peek, _ := br.Peek(4 << 10)
	if Root(peek) != '[' {
		return report.Errorf(0, "expected a JSON array of ASFF findings")
	}
	js := report.NewJSONStream(br)
	e := NewEmitter(sink)
	err := js.Array(func(int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return e.Next(js)
	})
	if err != nil {
		return err
	}
	return js.End()
}

// Emitter decodes ASFF findings one at a time and reports them: each asset
// once, and one observation per (asset, issue), as exports repeat findings.
// Finding ids do not serve for this: Prowler gives a passed and a failed
// result of one check the same id.
type Emitter struct {
	sink   report.Sink
	seen   map[string]bool
	assets map[string]bool
}

// NewEmitter returns an Emitter writing to sink.
func NewEmitter(sink report.Sink) *Emitter {
	return &Emitter{sink: sink, seen: map[string]bool{}, assets: map[string]bool{}}
}

// Next decodes the next finding from js and reports its assets and, when it
// is an open problem, its observation.
func (e *Emitter) Next(js *report.JSONStream) error {
	off := js.Offset()
	var f Finding
	if err := js.Decode(&f); err != nil {
		return err
	}
	if f.ID == "" && f.Title == "" && len(f.Resources) == 0 {
		return report.Errorf(off, "expected an ASFF finding object with Id, Title and Resources")
	}
	for _, a := range f.Assets() {
		// Many findings share a resource; report each asset once.
		key := assetKey(a)
		if e.assets[key] {
			continue
		}
		e.assets[key] = true
		if err := e.sink.Asset(a); err != nil {
			return err
		}
	}
	if f.Closed() {
		return nil
	}
	obs := f.Observation()
	// Findings with different ids can state the same issue on the same
	// resource (an integration re-reporting it); one observation per
	// (asset, issue).
	key := "obs\x00" + assetKey(obs.Asset) + "\x00" + string(obs.Finding.Kind) + "\x00" + obs.ToolID + "\x00" +
		obs.Finding.Location.Resource + "\x00" + obs.Finding.Component.Name + "\x00" + obs.Finding.Component.Version +
		"\x00" + obs.Finding.Component.Path
	if e.seen[key] {
		return nil
	}
	e.seen[key] = true
	return e.sink.Observe(obs)
}

func assetKey(a report.AssetRef) string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	for _, id := range a.Identifiers {
		b.WriteString("\x00" + string(id.Kind) + "=" + id.Value)
	}
	if len(a.Identifiers) == 0 {
		b.WriteString("\x00" + a.Name)
	}
	return b.String()
}
