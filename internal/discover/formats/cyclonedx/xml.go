package cyclonedx

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

// The XML types match elements by local name, so one set serves every
// spec version and the legacy vulnerability extension, whose element
// names are the same.

type xProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type xComponent struct {
	BomRef     string       `xml:"bom-ref,attr"`
	Type       string       `xml:"type,attr"`
	Group      string       `xml:"group"`
	Name       string       `xml:"name"`
	Version    string       `xml:"version"`
	PURL       string       `xml:"purl"`
	Components []xComponent `xml:"components>component"`
	Properties []xProperty  `xml:"properties>property"`
	ExtRefs    []struct {
		Type string `xml:"type,attr"`
		URL  string `xml:"url"`
	} `xml:"externalReferences>reference"`
	// Legacy extension: vulnerabilities inside the component.
	Vulns []xVuln `xml:"vulnerabilities>vulnerability"`
}

type xMetadata struct {
	Component *xComponent `xml:"component"`
}

type xVuln struct {
	Ref    string `xml:"ref,attr"` // legacy: the affected component's bom-ref
	ID     string `xml:"id"`
	Source struct {
		NameAttr string `xml:"name,attr"` // legacy
		Name     string `xml:"name"`
		URL      string `xml:"url"`
	} `xml:"source"`
	References []struct {
		ID     string `xml:"id"`
		Source struct {
			URL string `xml:"url"`
		} `xml:"source"`
	} `xml:"references>reference"`
	Ratings []struct {
		Score struct {
			Value string `xml:",chardata"`
			Base  string `xml:"base"` // legacy
		} `xml:"score"`
		Severity string `xml:"severity"`
		Method   string `xml:"method"`
		Vector   string `xml:"vector"`
	} `xml:"ratings>rating"`
	CWEs            []string `xml:"cwes>cwe"`
	Description     string   `xml:"description"`
	Detail          string   `xml:"detail"`
	Recommendation  string   `xml:"recommendation"`
	Recommendations []string `xml:"recommendations>recommendation"` // legacy
	Workaround      string   `xml:"workaround"`
	Advisories      []struct {
		Text string `xml:",chardata"` // legacy: the URL as text
		URL  string `xml:"url"`
	} `xml:"advisories>advisory"`
	Analysis struct {
		State         string   `xml:"state"`
		Justification string   `xml:"justification"`
		Responses     []string `xml:"responses>response"`
		Detail        string   `xml:"detail"`
	} `xml:"analysis"`
	Affects []struct {
		Ref      string `xml:"ref"`
		Versions []struct {
			Version string `xml:"version"`
			Range   string `xml:"range"`
			Status  string `xml:"status"`
		} `xml:"versions>version"`
	} `xml:"affects>target"`
}

func (c *xComponent) info() compInfo {
	return compInfo{Type: strings.TrimSpace(c.Type), Group: strings.TrimSpace(c.Group), Name: strings.TrimSpace(c.Name),
		Version: strings.TrimSpace(c.Version), PURL: strings.TrimSpace(c.PURL)}
}

func (v *xVuln) record() *record {
	t := strings.TrimSpace
	r := &record{
		ID:          t(v.ID),
		SourceName:  t(v.Source.Name),
		SourceURL:   t(v.Source.URL),
		Description: t(v.Description),
		Detail:      t(v.Detail),
		Workaround:  t(v.Workaround),
	}
	if r.SourceName == "" {
		r.SourceName = t(v.Source.NameAttr)
	}
	recs := []string{}
	if s := t(v.Recommendation); s != "" {
		recs = append(recs, s)
	}
	for _, s := range v.Recommendations {
		if s = t(s); s != "" {
			recs = append(recs, s)
		}
	}
	r.Recommendation = strings.Join(recs, "\n")
	for _, ref := range v.References {
		r.RefIDs = append(r.RefIDs, t(ref.ID))
		r.RefURLs = append(r.RefURLs, t(ref.Source.URL))
	}
	for _, rt := range v.Ratings {
		score := t(rt.Score.Value)
		if b := t(rt.Score.Base); b != "" {
			score = b
		}
		r.Ratings = append(r.Ratings, rating{Severity: t(rt.Severity), Method: t(rt.Method), Vector: t(rt.Vector), Score: score})
	}
	for _, c := range v.CWEs {
		r.CWEs = append(r.CWEs, t(c))
	}
	for _, a := range v.Advisories {
		u := t(a.URL)
		if u == "" {
			u = t(a.Text)
		}
		r.Advisories = append(r.Advisories, u)
	}
	r.Analysis = analysis{State: t(v.Analysis.State), Justification: t(v.Analysis.Justification), Detail: t(v.Analysis.Detail)}
	for _, resp := range v.Analysis.Responses {
		r.Analysis.Responses = append(r.Analysis.Responses, t(resp))
	}
	for _, a := range v.Affects {
		af := affect{Ref: t(a.Ref)}
		for _, ver := range a.Versions {
			if strings.EqualFold(t(ver.Status), "unaffected") && t(ver.Version) != "" {
				af.Fixed = append(af.Fixed, t(ver.Version))
			}
		}
		r.Affects = append(r.Affects, af)
	}
	if len(v.Affects) == 0 && t(v.Ref) != "" {
		r.Affects = []affect{{Ref: t(v.Ref)}}
	}
	return r
}

type xmlParser struct {
	*parser
	dec      *xml.Decoder
	compSeen bool
	pending  []*record
}

func (x *xmlParser) fail(err error) error {
	var pe *report.ParseError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	line, col := x.dec.InputPos()
	return report.AtLine(line, col, err)
}

func (p *parser) parseXML(r io.Reader) error {
	dec := xmlx.NewDecoder(r)
	x := &xmlParser{parser: p, dec: dec}
	if err := x.parse(); err != nil {
		return x.fail(err)
	}
	return nil
}

func (x *xmlParser) parse() error {
	root, err := x.root()
	if err != nil {
		return err
	}
	for _, a := range root.Attr {
		if a.Name.Local == "serialNumber" {
			x.serial = strings.TrimSpace(a.Value)
		}
	}
	for {
		tok, err := x.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return x.end()
		case xml.StartElement:
			if err := x.child(t); err != nil {
				return err
			}
		}
	}
}

// root finds the <bom> element.
func (x *xmlParser) root() (xml.StartElement, error) {
	for {
		tok, err := x.dec.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("empty document: expected a CycloneDX <bom>")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "bom" || !bomNamespaceRe.MatchString(se.Name.Space) {
				return se, fmt.Errorf("expected a CycloneDX <bom> root element, found <%s> in namespace %q", se.Name.Local, se.Name.Space)
			}
			return se, nil
		}
	}
}

// end finishes the document: buffered vulnerabilities, the asset, and a
// check that nothing but comments follows the root element.
func (x *xmlParser) end() error {
	for {
		tok, err := x.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("unexpected element <%s> after </bom>", t.Name.Local)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return errors.New("unexpected text after </bom>")
			}
		}
	}
	for _, rec := range x.pending {
		if err := x.emit(rec); err != nil {
			return err
		}
	}
	return x.finish()
}

func (x *xmlParser) child(se xml.StartElement) error {
	switch se.Name.Local {
	case "metadata":
		var m xMetadata
		if err := x.dec.DecodeElement(&m, &se); err != nil {
			return err
		}
		if c := m.Component; c != nil {
			info := c.info()
			info.Props = map[string][]string{}
			for _, pr := range c.Properties {
				if strings.HasPrefix(pr.Name, "aquasecurity:trivy:") {
					info.Props[pr.Name] = append(info.Props[pr.Name], strings.TrimSpace(pr.Value))
				}
			}
			for _, er := range c.ExtRefs {
				if strings.EqualFold(er.Type, "vcs") && info.VCS == "" {
					info.VCS = strings.TrimSpace(er.URL)
				}
			}
			x.meta = &info
			x.registerXML(c, false)
		}
		return nil
	case "components":
		x.compSeen = true
		return x.each(se, "component", func(e xml.StartElement) error {
			var c xComponent
			if err := x.dec.DecodeElement(&c, &e); err != nil {
				return err
			}
			return x.registerXML(&c, true)
		})
	case "vulnerabilities":
		return x.each(se, "vulnerability", func(e xml.StartElement) error {
			var v xVuln
			if err := x.dec.DecodeElement(&v, &e); err != nil {
				return err
			}
			rec := v.record()
			if !x.compSeen {
				// Out of schema order: hold it until the components are known.
				x.pending = append(x.pending, rec)
				return nil
			}
			return x.emit(rec)
		})
	}
	return x.dec.Skip()
}

// each calls fn for every child element named local of the element se
// just opened, skipping other children.
func (x *xmlParser) each(se xml.StartElement, local string, fn func(xml.StartElement) error) error {
	for n := 0; ; n++ {
		if n%256 == 255 {
			if err := x.ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := x.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != local {
				if err := x.dec.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		}
	}
}

// registerXML keeps a component for bom-ref lookups and, with emit, reports
// the legacy vulnerabilities nested in it (and in its sub-components).
func (x *xmlParser) registerXML(c *xComponent, emit bool) error {
	info := c.info()
	x.register(info, strings.TrimSpace(c.BomRef))
	if emit {
		for i := range c.Vulns {
			rec := c.Vulns[i].record()
			// The enclosing component is the affected one, whatever the
			// ref attribute says (Grype writes a fresh UUID there).
			rec.Affects = []affect{{Direct: &info}}
			if err := x.emit(rec); err != nil {
				return err
			}
		}
	}
	for i := range c.Components {
		if err := x.registerXML(&c.Components[i], emit); err != nil {
			return err
		}
	}
	return nil
}
