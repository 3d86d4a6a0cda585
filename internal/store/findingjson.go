package store

import (
	"strconv"

	"github.com/ctemhq/ctem/internal/jsonw"
	"github.com/ctemhq/ctem/internal/model"
)

// FindingJSON is a finding's structured fields as the JSON texts the
// store keeps.
type FindingJSON struct {
	Aliases, CWEs, CVSS, Component, Location, References string
}

// EncodeFinding encodes f's structured fields, with "[]" and "{}" for
// empty lists and objects. It writes by hand (package jsonw) exactly what
// json.Marshal writes without its HTML escaping, which FuzzEncodeFinding
// checks: an import encodes a million findings, and reflection cost more
// than parsing them.
func EncodeFinding(f *model.Finding) FindingJSON {
	return FindingJSON{
		Aliases: stringsJSON(f.Aliases), CWEs: intsJSON(f.CWEs), CVSS: cvssJSON(f.CVSS),
		Component: componentJSON(&f.Component), Location: locationJSON(&f.Location), References: stringsJSON(f.References),
	}
}

func stringsJSON(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	return string(jsonw.AppendStrings(make([]byte, 0, 16*len(ss)), ss))
}

func intsJSON(ns []int) string {
	if len(ns) == 0 {
		return "[]"
	}
	b := make([]byte, 0, 6*len(ns))
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(append(b, ']'))
}

func cvssJSON(cs []model.CVSS) string {
	if len(cs) == 0 {
		return "[]"
	}
	b := make([]byte, 0, 96*len(cs))
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"version":`...)
		b = jsonw.AppendString(b, c.Version)
		b = append(b, `,"vector":`...)
		b = jsonw.AppendString(b, c.Vector)
		b = append(b, `,"score":`...)
		b = jsonw.AppendFloat(b, c.Score)
		b = append(b, '}')
	}
	return string(append(b, ']'))
}

// object writes a JSON object of the non-empty fields given to it, as
// json.Marshal writes a struct whose fields are all omitempty.
type object struct{ b []byte }

func (o *object) str(name, v string) {
	if v != "" {
		o.key(name)
		o.b = jsonw.AppendString(o.b, v)
	}
}

func (o *object) int(name string, v int) {
	if v != 0 {
		o.key(name)
		o.b = strconv.AppendInt(o.b, int64(v), 10)
	}
}

func (o *object) key(name string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = append(append(append(o.b, '"'), name...), '"', ':')
}

func (o *object) String() string { return string(append(o.b, '}')) }

func componentJSON(c *model.Component) string {
	o := object{b: make([]byte, 1, 128)}
	o.b[0] = '{'
	o.str("name", c.Name)
	o.str("version", c.Version)
	o.str("fixed_version", c.FixedVersion)
	o.str("purl", c.PURL)
	o.str("ecosystem", c.Ecosystem)
	o.str("path", c.Path)
	return o.String()
}

func locationJSON(l *model.Location) string {
	o := object{b: make([]byte, 1, 96)}
	o.b[0] = '{'
	o.int("port", l.Port)
	o.str("protocol", l.Protocol)
	o.str("service", l.Service)
	o.str("url", l.URL)
	o.str("method", l.Method)
	o.str("param", l.Param)
	o.str("file", l.File)
	o.int("line", l.Line)
	o.int("end_line", l.EndLine)
	o.str("resource", l.Resource)
	return o.String()
}
