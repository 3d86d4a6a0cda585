package cyclonedx

import (
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type jSource struct {
	Name jsonx.Text `json:"name"`
	URL  jsonx.Text `json:"url"`
}

type jProperty struct {
	Name  jsonx.Text `json:"name"`
	Value jsonx.Text `json:"value"`
}

type jExternalRef struct {
	Type jsonx.Text `json:"type"`
	URL  jsonx.Text `json:"url"`
}

type jComponent struct {
	BomRef             jsonx.Text     `json:"bom-ref"`
	Type               jsonx.Text     `json:"type"`
	Group              jsonx.Text     `json:"group"`
	Name               jsonx.Text     `json:"name"`
	Version            jsonx.Text     `json:"version"`
	PURL               jsonx.Text     `json:"purl"`
	Components         []jComponent   `json:"components"`
	Properties         []jProperty    `json:"properties"`
	ExternalReferences []jExternalRef `json:"externalReferences"`
}

type jMetadata struct {
	Component *jComponent `json:"component"`
}

type jVuln struct {
	ID         jsonx.Text `json:"id"`
	Source     *jSource   `json:"source"`
	References []struct {
		ID     jsonx.Text `json:"id"`
		Source *jSource   `json:"source"`
	} `json:"references"`
	Ratings []struct {
		Severity jsonx.Text `json:"severity"`
		Method   jsonx.Text `json:"method"`
		Vector   jsonx.Text `json:"vector"`
		Score    jsonx.Text `json:"score"`
	} `json:"ratings"`
	CWEs           []jsonx.Text `json:"cwes"`
	Description    jsonx.Text   `json:"description"`
	Detail         jsonx.Text   `json:"detail"`
	Recommendation jsonx.Text   `json:"recommendation"`
	Workaround     jsonx.Text   `json:"workaround"`
	Advisories     []struct {
		Title jsonx.Text `json:"title"`
		URL   jsonx.Text `json:"url"`
	} `json:"advisories"`
	Analysis *struct {
		State         jsonx.Text   `json:"state"`
		Justification jsonx.Text   `json:"justification"`
		Response      []jsonx.Text `json:"response"`
		Detail        jsonx.Text   `json:"detail"`
	} `json:"analysis"`
	Affects []struct {
		Ref      jsonx.Text `json:"ref"`
		Versions []struct {
			Version jsonx.Text `json:"version"`
			Range   jsonx.Text `json:"range"`
			Status  jsonx.Text `json:"status"`
		} `json:"versions"`
	} `json:"affects"`
}

func (c *jComponent) info() compInfo {
	return compInfo{Type: c.Type.String(), Group: c.Group.String(), Name: c.Name.String(),
		Version: c.Version.String(), PURL: c.PURL.String()}
}

func (p *parser) registerJSON(c *jComponent) {
	p.register(c.info(), c.BomRef.String())
	for i := range c.Components {
		p.registerJSON(&c.Components[i])
	}
}

func (v *jVuln) record() *record {
	r := &record{
		ID:             v.ID.String(),
		Description:    v.Description.String(),
		Detail:         v.Detail.String(),
		Recommendation: v.Recommendation.String(),
		Workaround:     v.Workaround.String(),
	}
	if v.Source != nil {
		r.SourceName, r.SourceURL = v.Source.Name.String(), v.Source.URL.String()
	}
	for _, ref := range v.References {
		r.RefIDs = append(r.RefIDs, ref.ID.String())
		if ref.Source != nil {
			r.RefURLs = append(r.RefURLs, ref.Source.URL.String())
		}
	}
	for _, rt := range v.Ratings {
		r.Ratings = append(r.Ratings, rating{Severity: rt.Severity.String(), Method: rt.Method.String(),
			Vector: rt.Vector.String(), Score: rt.Score.String()})
	}
	for _, c := range v.CWEs {
		r.CWEs = append(r.CWEs, c.String())
	}
	for _, a := range v.Advisories {
		r.Advisories = append(r.Advisories, a.URL.String())
	}
	if a := v.Analysis; a != nil {
		r.Analysis = analysis{State: a.State.String(), Justification: a.Justification.String(), Detail: a.Detail.String()}
		for _, resp := range a.Response {
			r.Analysis.Responses = append(r.Analysis.Responses, resp.String())
		}
	}
	for _, a := range v.Affects {
		af := affect{Ref: a.Ref.String()}
		for _, ver := range a.Versions {
			if strings.EqualFold(ver.Status.String(), "unaffected") && ver.Version.String() != "" {
				af.Fixed = append(af.Fixed, ver.Version.String())
			}
		}
		r.Affects = append(r.Affects, af)
	}
	return r
}

// jsonState carries what the first pass learnt to the second.
type jsonState struct {
	isBOM     bool
	metaSeen  bool
	compSeen  bool
	canReopen bool
	deferred  bool
	pending   []*record
}

func (p *parser) parseJSON(r io.Reader, reopen func() (io.Reader, error)) error {
	st := &jsonState{canReopen: reopen != nil}
	if err := p.jsonPass(r, st, false); err != nil {
		return err
	}
	if st.deferred {
		r2, err := reopen()
		if err != nil {
			return err
		}
		if err := p.jsonPass(r2, st, true); err != nil {
			return err
		}
	}
	for _, rec := range st.pending {
		if err := p.emit(rec); err != nil {
			return err
		}
	}
	return p.finish()
}

// jsonPass reads the document once. The first pass reads everything and
// streams the vulnerabilities when the document has shown itself a BOM and
// the components and metadata are known; the second (only when the first
// deferred them) reads the vulnerabilities.
func (p *parser) jsonPass(r io.Reader, st *jsonState, second bool) error {
	s := report.NewJSONStream(r)
	vulns := func(fn func(*record) error) error {
		return s.Array(func(int) error {
			var v jVuln
			if err := s.Decode(&v); err != nil {
				return err
			}
			return fn(v.record())
		})
	}
	err := s.Object(func(key string) error {
		if second && key != "vulnerabilities" {
			return s.Skip()
		}
		switch key {
		case "bomFormat":
			var v jsonx.Text
			if err := s.Decode(&v); err != nil {
				return err
			}
			if !strings.EqualFold(v.String(), "CycloneDX") {
				return report.Errorf(s.Offset(), "bomFormat %q is not CycloneDX", v.String())
			}
			st.isBOM = true
			return nil
		case "specVersion":
			st.isBOM = true
			return s.Skip()
		case "serialNumber":
			var v jsonx.Text
			if err := s.Decode(&v); err != nil {
				return err
			}
			p.serial = v.String()
			return nil
		case "metadata":
			var m jMetadata
			if err := s.Decode(&m); err != nil {
				return err
			}
			st.metaSeen = true
			if c := m.Component; c != nil {
				info := c.info()
				info.Props = map[string][]string{}
				for _, pr := range c.Properties {
					if n := pr.Name.String(); strings.HasPrefix(n, "aquasecurity:trivy:") {
						info.Props[n] = append(info.Props[n], pr.Value.String())
					}
				}
				for _, er := range c.ExternalReferences {
					if strings.EqualFold(er.Type.String(), "vcs") && info.VCS == "" {
						info.VCS = er.URL.String()
					}
				}
				p.meta = &info
				// The subject itself may be the affected component.
				p.registerJSON(c)
			}
			return nil
		case "components":
			st.compSeen = true
			return s.Array(func(int) error {
				if err := p.ctx.Err(); err != nil {
					return err
				}
				var c jComponent
				if err := s.Decode(&c); err != nil {
					return err
				}
				p.registerJSON(&c)
				return nil
			})
		case "vulnerabilities":
			switch {
			case second || (st.isBOM && st.metaSeen && st.compSeen):
				return vulns(p.emit)
			case st.canReopen:
				// Read them in a second pass, once components are known.
				st.deferred = true
				return s.Skip()
			default:
				return vulns(func(rec *record) error {
					st.pending = append(st.pending, rec)
					return nil
				})
			}
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if !st.isBOM {
		return report.Errorf(s.Offset(), "not a CycloneDX BOM: no bomFormat or specVersion")
	}
	return nil
}
