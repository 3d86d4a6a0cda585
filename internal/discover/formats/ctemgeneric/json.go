package ctemgeneric

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Version is the value of the "ctem" key this parser reads.
const Version = "findings/v1"

const versionPrefix = "findings/"

// parseJSON streams the document: top-level keys in any order, the
// "findings" and "assets" arrays one element at a time.
func parseJSON(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	seen := map[string]bool{}
	err := s.Object(func(key string) error {
		if seen[key] {
			return report.Errorf(s.Offset(), "key %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "ctem":
			return checkVersion(s)
		case "source":
			var v any
			if err := s.Decode(&v); err != nil {
				return err
			}
			name, ok := v.(string)
			if !ok && v != nil {
				return report.Errorf(s.Offset(), "source: expected a string (the tool's name), found %s", jsonKind(v))
			}
			if n, ok := sink.(report.SourceNamer); ok && name != "" {
				if err := n.NameSource(name); err != nil {
					return report.Errorf(s.Offset(), "source: %v", err)
				}
			}
			return nil
		case "assets":
			return s.Array(func(i int) error {
				if err := tick(ctx, i); err != nil {
					return err
				}
				m, off, err := element(s, fmt.Sprintf("assets[%d]", i))
				if err != nil {
					return err
				}
				var ra rawAsset
				if fe := decodeAsset(m, &ra); fe != nil {
					return elementError(off, fmt.Sprintf("assets[%d]", i), fe)
				}
				ref, fe := buildAsset(&ra)
				if fe != nil {
					return elementError(off, fmt.Sprintf("assets[%d]", i), fe)
				}
				return sink.Asset(ref)
			})
		case "findings":
			return s.Array(func(i int) error {
				if err := tick(ctx, i); err != nil {
					return err
				}
				m, off, err := element(s, fmt.Sprintf("findings[%d]", i))
				if err != nil {
					return err
				}
				var rf rawFinding
				if fe := decodeFinding(m, &rf); fe != nil {
					return elementError(off, fmt.Sprintf("findings[%d]", i), fe)
				}
				o, fe := buildFinding(&rf)
				if fe != nil {
					return elementError(off, fmt.Sprintf("findings[%d]", i), fe)
				}
				return sink.Observe(o)
			})
		}
		if extension(key) {
			return s.Skip()
		}
		return report.Errorf(s.Offset(), "unknown top-level key %q (expected ctem, source, assets, findings, or x-... for your own data)", key)
	})
	if err != nil {
		return innermost(err)
	}
	if err := s.End(); err != nil {
		return innermost(err)
	}
	if !seen["ctem"] {
		return report.Errorf(0, "missing the \"ctem\": %q key that marks a ctem findings file", Version)
	}
	return nil
}

// innermost unwraps a ParseError that JSONStream wrapped in another one at
// each nesting level (it re-wraps errors that contain a json.SyntaxError),
// so that the message says where it broke once.
func innermost(err error) error {
	pe, ok := err.(*report.ParseError)
	for ok {
		inner, isPE := pe.Err.(*report.ParseError)
		if !isPE {
			break
		}
		pe = inner
	}
	if ok {
		return pe
	}
	return err
}

func tick(ctx context.Context, i int) error {
	if i%256 == 255 {
		return ctx.Err()
	}
	return nil
}

func checkVersion(s *report.JSONStream) error {
	var v any
	if err := s.Decode(&v); err != nil {
		return err
	}
	str, ok := v.(string)
	switch {
	case !ok:
		return report.Errorf(s.Offset(), "ctem: expected the string %q, found %s", Version, jsonKind(v))
	case str == Version:
		return nil
	case strings.HasPrefix(str, versionPrefix):
		return report.Errorf(s.Offset(), "ctem: unsupported version %q (this ctem reads %q)", str, Version)
	}
	return report.Errorf(s.Offset(), "ctem: expected %q, found %q", Version, str)
}

// extension reports whether a key is the writer's own ("x-..." or "x_..."),
// which the format promises to ignore; every other unknown key is an error
// so that a misspelt "findings" cannot pass as an empty report.
func extension(key string) bool {
	return strings.HasPrefix(key, "x-") || strings.HasPrefix(key, "x_")
}

// element decodes the next array element as a JSON object and returns it
// with the byte offset where it starts.
func element(s *report.JSONStream, path string) (map[string]any, int64, error) {
	var raw json.RawMessage
	if err := s.Decode(&raw); err != nil {
		return nil, 0, err
	}
	off := s.Offset() - int64(len(raw))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// The stream already checked the syntax; this cannot fail in
		// practice, but keep it an error rather than a panic.
		return nil, off, report.Errorf(off, "%s: %v", path, err)
	}
	m, fe := object("", v)
	if fe != nil {
		return nil, off, elementError(off, path, fe)
	}
	return m, off, nil
}

func elementError(off int64, path string, fe *fieldError) error {
	return report.Errorf(off, "%s", within(path, fe).Error())
}

var (
	findingKeys   = []string{"asset", "kind", "id", "title", "description", "severity", "vuln_id", "aliases", "cwe", "cvss", "rule_id", "component", "location", "remediation", "references", "evidence", "anchor", "secret"}
	assetKeys     = []string{"kind", "name", "identifiers", "attributes"}
	componentKeys = []string{"name", "version", "fixed_version", "purl", "ecosystem", "path"}
	locationKeys  = []string{"port", "protocol", "service", "url", "method", "param", "file", "line", "end_line", "resource"}
)

func decodeFinding(m map[string]any, r *rawFinding) *fieldError {
	if fe := checkKeys("", m, findingKeys); fe != nil {
		return fe
	}
	if v, ok := m["asset"]; ok && v != nil {
		am, fe := object("asset", v)
		if fe != nil {
			return fe
		}
		if fe := decodeAsset(am, &r.Asset); fe != nil {
			return within("asset", fe)
		}
		r.HasAsset = true
	}
	strs := []struct {
		key string
		dst *string
	}{
		{"kind", &r.Kind}, {"id", &r.ID}, {"title", &r.Title}, {"description", &r.Description},
		{"severity", &r.Severity}, {"vuln_id", &r.VulnID}, {"rule_id", &r.RuleID},
		{"remediation", &r.Remediation}, {"evidence", &r.Evidence}, {"anchor", &r.Anchor},
		{"secret", &r.Secret},
	}
	for _, f := range strs {
		s, fe := scalar(f.key, m[f.key])
		if fe != nil {
			return fe
		}
		*f.dst = s
	}
	lists := []struct {
		key string
		dst *[]string
	}{
		{"aliases", &r.Aliases}, {"cwe", &r.CWE}, {"cvss", &r.CVSS}, {"references", &r.References},
	}
	for _, f := range lists {
		l, fe := list(f.key, m[f.key])
		if fe != nil {
			return fe
		}
		*f.dst = l
	}
	if v := m["component"]; v != nil {
		cm, fe := object("component", v)
		if fe != nil {
			return fe
		}
		if fe := checkKeys("component", cm, componentKeys); fe != nil {
			return fe
		}
		c := &r.Component
		for _, f := range []struct {
			key string
			dst *string
		}{{"name", &c.Name}, {"version", &c.Version}, {"fixed_version", &c.FixedVersion}, {"purl", &c.PURL}, {"ecosystem", &c.Ecosystem}, {"path", &c.Path}} {
			s, fe := scalar("component."+f.key, cm[f.key])
			if fe != nil {
				return fe
			}
			*f.dst = s
		}
	}
	if v := m["location"]; v != nil {
		lm, fe := object("location", v)
		if fe != nil {
			return fe
		}
		if fe := checkKeys("location", lm, locationKeys); fe != nil {
			return fe
		}
		l := &r.Location
		for _, f := range []struct {
			key string
			dst *string
		}{{"port", &l.Port}, {"protocol", &l.Protocol}, {"service", &l.Service}, {"url", &l.URL}, {"method", &l.Method}, {"param", &l.Param}, {"file", &l.File}, {"line", &l.Line}, {"end_line", &l.EndLine}, {"resource", &l.Resource}} {
			s, fe := scalar("location."+f.key, lm[f.key])
			if fe != nil {
				return fe
			}
			*f.dst = s
		}
	}
	return nil
}

func decodeAsset(m map[string]any, a *rawAsset) *fieldError {
	if fe := checkKeys("", m, assetKeys); fe != nil {
		return fe
	}
	var fe *fieldError
	if a.Kind, fe = scalar("kind", m["kind"]); fe != nil {
		return fe
	}
	if a.Name, fe = scalar("name", m["name"]); fe != nil {
		return fe
	}
	if v := m["identifiers"]; v != nil {
		im, fe := object("identifiers", v)
		if fe != nil {
			return fe
		}
		for _, k := range sortedKeys(im) {
			if extension(k) {
				continue
			}
			if !isIDKind(k) {
				names := make([]string, len(idKinds))
				for i, id := range idKinds {
					names[i] = string(id)
				}
				return ferr("identifiers."+k, "unknown identifier (expected one of %s)", strings.Join(names, ", "))
			}
			l, fe := list("identifiers."+k, im[k])
			if fe != nil {
				return fe
			}
			if a.IDs == nil {
				a.IDs = map[model.IdentifierKind][]string{}
			}
			a.IDs[model.IdentifierKind(k)] = l
		}
	}
	if v := m["attributes"]; v != nil {
		am, fe := object("attributes", v)
		if fe != nil {
			return fe
		}
		for _, k := range sortedKeys(am) {
			s, fe := scalar("attributes."+k, am[k])
			if fe != nil {
				return fe
			}
			if a.Attrs == nil {
				a.Attrs = map[string]string{}
			}
			a.Attrs[k] = s
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkKeys rejects keys the format does not define (in a stable order, so
// the same file always gives the same message).
func checkKeys(path string, m map[string]any, allowed []string) *fieldError {
	for _, k := range sortedKeys(m) {
		ok := extension(k)
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			p := k
			if path != "" {
				p = path + "." + k
			}
			return ferr(p, "unknown key (expected one of %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

func object(path string, v any) (map[string]any, *fieldError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, ferr(path, "expected an object, found %s", jsonKind(v))
	}
	return m, nil
}

// scalar reads a text field. Numbers are taken as written (tools often have
// numeric ids, and a port or line may come as a number or a string); null
// is the same as absent.
func scalar(path string, v any) (string, *fieldError) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	}
	return "", ferr(path, "expected a string, found %s", jsonKind(v))
}

// list reads a field that may hold one value or an array of values.
func list(path string, v any) ([]string, *fieldError) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(t))
		for i, e := range t {
			s, fe := scalar(fmt.Sprintf("%s[%d]", path, i), e)
			if fe != nil {
				return nil, fe
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, fe := scalar(path, v)
	if fe != nil {
		return nil, ferr(path, "expected a string or an array of strings, found %s", jsonKind(v))
	}
	return []string{s}, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
