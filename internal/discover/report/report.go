// Package report defines what a report-format parser produces and the small
// helpers every parser shares: the Format interface, the Sink that receives
// assets and findings as they stream out of a file, positioned parse errors,
// and normalization of severities, vulnerability ids, CWEs and CVSS vectors.
package report

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ctemhq/ctem/internal/model"
)

// Format is one report format: it recognizes its files and parses them.
type Format interface {
	// Name is the stable name recorded on every detection (e.g. "trivy").
	Name() string
	// Version changes whenever the parser's output for the same input changes.
	Version() int
	// Description is one line for `ctem formats`.
	Description() string
	// Detect says how sure it is that head (the first bytes of a file, at
	// most DetectBytes) is this format: 0 not at all, 100 certain.
	Detect(head []byte) int
	// Parse streams the report from r into sink. It must not hold the whole
	// report in memory when the format allows streaming.
	Parse(ctx context.Context, r io.Reader, sink Sink) error
}

// DetectBytes is how much of a file is shown to Format.Detect.
const DetectBytes = 64 << 10

// AssetRef names an asset as a report sees it; the resolver matches it to a
// stored asset by its identifiers.
type AssetRef struct {
	Kind        model.AssetKind
	Name        string
	Identifiers []model.Identifier
	Attributes  map[string]string
}

// Observation is one finding as one report states it.
type Observation struct {
	Asset AssetRef
	// ToolID is the tool's own id for the issue (plugin id, rule id, CVE).
	ToolID string
	// ToolSeverity is the tool's severity as written in the report.
	ToolSeverity string
	// Evidence is short proof from the report (plugin output, matched text).
	// Never the secret itself for secrets.
	Evidence string
	// Anchor identifies a code finding without its line number (a hash of the
	// snippet, a partial fingerprint); for secrets, a keyed hash of the secret.
	Anchor string
	// Secret is the secret value a secret scanner found, when the report
	// holds it. The pipeline turns it into a keyed hash for the fingerprint
	// and never stores it; parsers must keep it out of Evidence and Title.
	Secret string
	// Finding holds the normalized finding fields (Kind, Title, Severity,
	// VulnID, Aliases, CWEs, CVSS, RuleID, Component, Location...).
	Finding model.Finding
}

// Sink receives what a parser reads.
type Sink interface {
	// Asset reports an asset the report covers, with or without findings.
	Asset(a AssetRef) error
	// Observe reports one finding. Its asset need not have been reported.
	Observe(o Observation) error
}

// SourceNamer is implemented by sinks that let a report name the tool that
// wrote it, for formats that carry any tool's findings (ctem's generic
// format). The import is then recorded as "<format>:<name>", so that two
// tools sharing the format do not close each other's findings. It must be
// called before the first asset or finding.
type SourceNamer interface {
	NameSource(name string) error
}

// ParseError is a malformed report: where it broke and why.
type ParseError struct {
	File   string // set by the pipeline
	Offset int64  // byte offset, -1 when unknown
	Line   int    // 1-based; 0 when unknown
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	where := e.File
	if where == "" {
		where = "input"
	}
	switch {
	case e.Line > 0:
		where = fmt.Sprintf("%s:%d:%d", where, e.Line, e.Column)
	case e.Offset >= 0:
		where = fmt.Sprintf("%s: byte %d", where, e.Offset)
	}
	return where + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Errorf returns a ParseError at a byte offset.
func Errorf(offset int64, format string, args ...any) error {
	return &ParseError{Offset: offset, Err: fmt.Errorf(format, args...)}
}

// AtOffset wraps err as a ParseError at offset, unless it already is one.
func AtOffset(offset int64, err error) error {
	if err == nil {
		return nil
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	return &ParseError{Offset: offset, Err: err}
}

// AtLine wraps err as a ParseError at a line and column (XML, CSV).
func AtLine(line, col int, err error) error {
	if err == nil {
		return nil
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	return &ParseError{Offset: -1, Line: line, Column: col, Err: err}
}
