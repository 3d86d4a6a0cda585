package ctemgeneric

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// csvColumn is one column of the CSV syntax: the JSON field it fills (path,
// also used to point a validation error back at its column) and how.
type csvColumn struct {
	path  string
	asset bool // describes the asset, not the finding
	set   func(r *rawFinding, v string)
}

// Separators for cells holding several values. Commas are allowed only
// where no value can contain one (URLs and ARNs can).
var (
	semiOrComma = regexp.MustCompile(`[;,]`)
	semiOnly    = regexp.MustCompile(`;`)
)

func split(re *regexp.Regexp, v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return re.Split(v, -1)
}

func idColumn(k model.IdentifierKind, sep *regexp.Regexp) csvColumn {
	return csvColumn{path: "asset.identifiers." + string(k), asset: true, set: func(r *rawFinding, v string) {
		if vs := split(sep, v); vs != nil {
			if r.Asset.IDs == nil {
				r.Asset.IDs = map[model.IdentifierKind][]string{}
			}
			r.Asset.IDs[k] = vs
		}
	}}
}

func textColumn(path string, dst func(r *rawFinding) *string) csvColumn {
	return csvColumn{path: path, set: func(r *rawFinding, v string) { *dst(r) = v }}
}

func listColumn(path string, sep *regexp.Regexp, dst func(r *rawFinding) *[]string) csvColumn {
	return csvColumn{path: path, set: func(r *rawFinding, v string) { *dst(r) = split(sep, v) }}
}

// csvColumns are the columns a header may name (after lower-casing). Asset
// attributes come as attr_<name> columns and the writer's own data as x_...
var csvColumns = map[string]csvColumn{
	"asset_kind":    {path: "asset.kind", asset: true, set: func(r *rawFinding, v string) { r.Asset.Kind = v }},
	"asset_name":    {path: "asset.name", asset: true, set: func(r *rawFinding, v string) { r.Asset.Name = v }},
	"hostname":      idColumn(model.IDHostname, semiOrComma),
	"fqdn":          idColumn(model.IDFQDN, semiOrComma),
	"ipv4":          idColumn(model.IDIPv4, semiOrComma),
	"ipv6":          idColumn(model.IDIPv6, semiOrComma),
	"mac":           idColumn(model.IDMAC, semiOrComma),
	"arn":           idColumn(model.IDARN, semiOnly),
	"cloud_id":      idColumn(model.IDCloudID, semiOnly),
	"image_digest":  idColumn(model.IDImageDigest, semiOrComma),
	"image_id":      idColumn(model.IDImageID, semiOrComma),
	"image_ref":     idColumn(model.IDImageRef, semiOnly),
	"repo_url":      idColumn(model.IDRepoURL, semiOnly),
	"url":           idColumn(model.IDURL, semiOnly),
	"kind":          textColumn("kind", func(r *rawFinding) *string { return &r.Kind }),
	"id":            textColumn("id", func(r *rawFinding) *string { return &r.ID }),
	"title":         textColumn("title", func(r *rawFinding) *string { return &r.Title }),
	"description":   textColumn("description", func(r *rawFinding) *string { return &r.Description }),
	"severity":      textColumn("severity", func(r *rawFinding) *string { return &r.Severity }),
	"vuln_id":       textColumn("vuln_id", func(r *rawFinding) *string { return &r.VulnID }),
	"aliases":       listColumn("aliases", semiOrComma, func(r *rawFinding) *[]string { return &r.Aliases }),
	"cwe":           listColumn("cwe", semiOrComma, func(r *rawFinding) *[]string { return &r.CWE }),
	"cvss":          listColumn("cvss", semiOrComma, func(r *rawFinding) *[]string { return &r.CVSS }),
	"rule_id":       textColumn("rule_id", func(r *rawFinding) *string { return &r.RuleID }),
	"package":       textColumn("component.name", func(r *rawFinding) *string { return &r.Component.Name }),
	"version":       textColumn("component.version", func(r *rawFinding) *string { return &r.Component.Version }),
	"fixed_version": textColumn("component.fixed_version", func(r *rawFinding) *string { return &r.Component.FixedVersion }),
	"purl":          textColumn("component.purl", func(r *rawFinding) *string { return &r.Component.PURL }),
	"ecosystem":     textColumn("component.ecosystem", func(r *rawFinding) *string { return &r.Component.Ecosystem }),
	"package_path":  textColumn("component.path", func(r *rawFinding) *string { return &r.Component.Path }),
	"port":          textColumn("location.port", func(r *rawFinding) *string { return &r.Location.Port }),
	"protocol":      textColumn("location.protocol", func(r *rawFinding) *string { return &r.Location.Protocol }),
	"service":       textColumn("location.service", func(r *rawFinding) *string { return &r.Location.Service }),
	"location_url":  textColumn("location.url", func(r *rawFinding) *string { return &r.Location.URL }),
	"method":        textColumn("location.method", func(r *rawFinding) *string { return &r.Location.Method }),
	"param":         textColumn("location.param", func(r *rawFinding) *string { return &r.Location.Param }),
	"file":          textColumn("location.file", func(r *rawFinding) *string { return &r.Location.File }),
	"line":          textColumn("location.line", func(r *rawFinding) *string { return &r.Location.Line }),
	"end_line":      textColumn("location.end_line", func(r *rawFinding) *string { return &r.Location.EndLine }),
	"resource":      textColumn("location.resource", func(r *rawFinding) *string { return &r.Location.Resource }),
	"remediation":   textColumn("remediation", func(r *rawFinding) *string { return &r.Remediation }),
	"references":    listColumn("references", semiOnly, func(r *rawFinding) *[]string { return &r.References }),
	"evidence":      textColumn("evidence", func(r *rawFinding) *string { return &r.Evidence }),
	"anchor":        textColumn("anchor", func(r *rawFinding) *string { return &r.Anchor }),
	"secret":        textColumn("secret", func(r *rawFinding) *string { return &r.Secret }),
}

const attrPrefix = "attr_"

// columnName normalizes a header cell: case does not matter, and "Asset
// Kind" or "asset-kind" mean asset_kind.
func columnName(s string) string { return words(s) }

// headerColumn resolves a normalized header name; ok is false for unknown
// names. ignore is set for the writer's own x_ columns.
func headerColumn(name string) (c csvColumn, ignore, ok bool) {
	if c, ok := csvColumns[name]; ok {
		return c, false, true
	}
	if strings.HasPrefix(name, "x_") {
		return c, true, true
	}
	if key, found := strings.CutPrefix(name, attrPrefix); found && key != "" {
		return csvColumn{path: "asset.attributes." + key, asset: true, set: func(r *rawFinding, v string) {
			if r.Asset.Attrs == nil {
				r.Asset.Attrs = map[string]string{}
			}
			r.Asset.Attrs[key] = v
		}}, false, true
	}
	return c, false, false
}

// sniffComma picks the separator from the header line: a comma, or the
// semicolon spreadsheets write in locales whose decimal mark is a comma, or
// a tab. Header names hold none of them, so counting is enough.
func sniffComma(head []byte) rune {
	if i := strings.IndexAny(string(head), "\r\n"); i >= 0 {
		head = head[:i]
	}
	best, n := ',', strings.Count(string(head), ",")
	for _, c := range []rune{';', '\t'} {
		if m := strings.Count(string(head), string(c)); m > n {
			best, n = c, m
		}
	}
	return best
}

func newCSVReader(r io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.ReuseRecord = true
	// Row lengths are checked here, to name the row and say what is wrong.
	cr.FieldsPerRecord = -1
	return cr
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return report.AtLine(pe.Line, pe.Column, pe.Err)
	}
	return report.AtLine(0, 0, err)
}

type boundColumn struct {
	name   string
	col    csvColumn
	ignore bool
}

func parseCSV(ctx context.Context, br *bufio.Reader, sink report.Sink) error {
	head, _ := br.Peek(4096)
	cr := newCSVReader(br, sniffComma(head))
	rec, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return report.AtLine(1, 1, errors.New("empty CSV: expected a header row"))
		}
		return csvError(err)
	}
	cols := make([]boundColumn, len(rec))
	index := map[string]int{}
	byPath := map[string]int{}
	for i, cell := range rec {
		line, col := cr.FieldPos(i)
		name := columnName(cell)
		if name == "" {
			return report.AtLine(line, col, fmt.Errorf("column %d has no name in the header", i+1))
		}
		c, ignore, ok := headerColumn(name)
		if !ok {
			return report.AtLine(line, col, fmt.Errorf("unknown column %q (see docs/generic-format.md for the column names; start your own columns with x_)", strings.TrimSpace(cell)))
		}
		if j, dup := index[name]; dup {
			return report.AtLine(line, col, fmt.Errorf("column %q appears twice (columns %d and %d)", name, j+1, i+1))
		}
		index[name] = i
		cols[i] = boundColumn{name: name, col: c, ignore: ignore}
		if !ignore {
			byPath[c.path] = i
		}
	}
	for _, req := range []string{"asset_kind", "title"} {
		if _, ok := index[req]; !ok {
			return report.AtLine(1, 1, fmt.Errorf("the header has no %s column", req))
		}
	}
	hasAssetID := false
	for name := range index {
		_, isID := csvColumns[name]
		hasAssetID = hasAssetID || name == "asset_name" || (isID && isIDKind(name))
	}
	if !hasAssetID {
		return report.AtLine(1, 1, errors.New("the header names no asset: add asset_name or an identifier column (hostname, fqdn, ipv4, ipv6, mac, arn, cloud_id, image_digest, image_id, image_ref, repo_url, url)"))
	}
	titleCol := index["title"]

	for row := 0; ; row++ {
		if err := tick(ctx, row); err != nil {
			return err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks, as editors leave at the end
		}
		if len(rec) != len(cols) {
			// A value with an unquoted separator shifts every column after
			// it; refuse the row rather than file values under wrong names.
			at := min(len(rec), len(cols)) - 1
			if len(rec) > len(cols) {
				at = len(cols)
			}
			l, c := cr.FieldPos(max(at, 0))
			return report.AtLine(l, c, fmt.Errorf("the row has %d fields but the header has %d (quote values that contain the separator)", len(rec), len(cols)))
		}
		var rf rawFinding
		nonEmpty, findingCols, assetCols := false, false, false
		for i, v := range rec {
			if cols[i].ignore {
				continue
			}
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			nonEmpty = true
			findingCols = findingCols || !cols[i].col.asset
			assetCols = assetCols || cols[i].col.asset
			cols[i].col.set(&rf, v)
		}
		if !nonEmpty {
			continue // a row of empty cells, as spreadsheets leave
		}
		at := func(fe *fieldError, prefix string) error {
			path := fe.path
			switch {
			case prefix != "" && path == "":
				path = prefix
			case prefix != "":
				path = prefix + "." + path
			}
			i, name := fieldColumn(path, byPath, cols)
			l, c := line, 1
			if i >= 0 {
				l, c = cr.FieldPos(i)
			}
			return report.AtLine(l, c, fmt.Errorf("%s: %s", name, fe.msg))
		}
		if strings.TrimSpace(rec[titleCol]) == "" {
			if findingCols {
				return at(ferr("title", "missing (a row with finding columns needs a title; leave them all empty for an asset without findings)"), "")
			}
			ref, fe := buildAsset(&rf.Asset)
			if fe != nil {
				return at(fe, "asset")
			}
			if err := sink.Asset(ref); err != nil {
				return err
			}
			continue
		}
		rf.HasAsset = assetCols
		o, fe := buildFinding(&rf)
		if fe != nil {
			return at(fe, "")
		}
		if err := sink.Observe(o); err != nil {
			return err
		}
	}
}

// fieldColumn finds the column a validation error is about: the field's own
// column, else (for an error about the whole asset) the asset's name column.
func fieldColumn(path string, byPath map[string]int, cols []boundColumn) (int, string) {
	// Drop list indexes: "cvss[1]" is in the cvss column.
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	if i, ok := byPath[path]; ok {
		return i, cols[i].name
	}
	if path == "asset" || strings.HasPrefix(path, "asset.") {
		for _, p := range []string{"asset.name", "asset.kind"} {
			if i, ok := byPath[p]; ok {
				return i, cols[i].name
			}
		}
	}
	return -1, path
}
