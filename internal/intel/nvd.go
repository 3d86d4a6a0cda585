package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/store"
)

// NVDPage is the envelope of an NVD CVE API 2.0 response.
type NVDPage struct {
	ResultsPerPage int
	StartIndex     int
	TotalResults   int
	Format         string // NVD_CVE
	Version        string // 2.0
	Timestamp      time.Time
	Records        int // records read
}

// NVDReader streams the records of one NVD CVE API 2.0 response (a page of
// vulnerabilities[].cve), plain or gzip'd.
type NVDReader struct {
	js   *report.JSONStream
	page NVDPage
	used bool
}

// NewNVDReader reads from r.
func NewNVDReader(r io.Reader) (*NVDReader, error) {
	dr, err := decompress(r)
	if err != nil {
		return nil, report.AtOffset(0, err)
	}
	return &NVDReader{js: report.NewJSONStream(dr)}, nil
}

// Page returns the envelope; complete once Records has been read through.
func (n *NVDReader) Page() NVDPage { return n.page }

var errStop = errors.New("stop")

// Records yields the CVE records, then stops at the end of the response or
// at the first error (yielded as a ParseError). It can be ranged over once.
func (n *NVDReader) Records() iter.Seq2[store.CVERecord, error] {
	return func(yield func(store.CVERecord, error) bool) {
		if n.used {
			yield(store.CVERecord{}, errors.New("NVD records already read"))
			return
		}
		n.used = true
		js := n.js
		var ts string
		hasList := false
		err := js.Object(func(key string) error {
			switch key {
			case "resultsPerPage":
				return js.Decode(&n.page.ResultsPerPage)
			case "startIndex":
				return js.Decode(&n.page.StartIndex)
			case "totalResults":
				return js.Decode(&n.page.TotalResults)
			case "format":
				if err := js.Decode(&n.page.Format); err != nil {
					return err
				}
				if n.page.Format != "NVD_CVE" {
					return report.Errorf(js.Offset(), "not an NVD CVE API response: format %q", n.page.Format)
				}
				return nil
			case "version":
				return js.Decode(&n.page.Version)
			case "timestamp":
				return js.Decode(&ts)
			case "vulnerabilities":
				hasList = true
				return js.Array(func(i int) error {
					var v struct {
						CVE *nvdCVE `json:"cve"`
					}
					at, err := element(js, &v)
					if err != nil {
						return err
					}
					if v.CVE == nil {
						return report.Errorf(at, "vulnerabilities[%d]: no cve object", i)
					}
					rec, err := v.CVE.record()
					if err != nil {
						return report.Errorf(at, "vulnerabilities[%d]: %v", i, err)
					}
					n.page.Records++
					if !yield(rec, nil) {
						return errStop
					}
					return nil
				})
			}
			return js.Skip()
		})
		if errors.Is(err, errStop) {
			return
		}
		if err == nil {
			err = js.End()
		}
		if err == nil && !hasList {
			err = report.Errorf(js.Offset(), "not an NVD CVE API response: no vulnerabilities list")
		}
		if err == nil && ts != "" {
			if n.page.Timestamp, err = parseTime(ts); err != nil {
				err = report.Errorf(js.Offset(), "timestamp: %v", err)
			}
		}
		if err != nil {
			yield(store.CVERecord{}, err)
		}
	}
}

// ParseNVD reads a whole response, calling fn for each record.
func ParseNVD(r io.Reader, fn func(store.CVERecord) error) (NVDPage, error) {
	nr, err := NewNVDReader(r)
	if err != nil {
		return NVDPage{}, err
	}
	for rec, err := range nr.Records() {
		if err != nil {
			return nr.Page(), err
		}
		if err := fn(rec); err != nil {
			return nr.Page(), err
		}
	}
	return nr.Page(), nil
}

// nvdCVE holds the parts of an NVD CVE record ctem keeps.
type nvdCVE struct {
	ID               string `json:"id"`
	SourceIdentifier string `json:"sourceIdentifier"`
	Published        string `json:"published"`
	LastModified     string `json:"lastModified"`
	VulnStatus       string `json:"vulnStatus"`
	Descriptions     []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics               map[string]json.RawMessage `json:"metrics"`
	Weaknesses            []nvdWeakness              `json:"weaknesses"`
	References            []nvdReference             `json:"references"`
	CISAExploitAdd        string                     `json:"cisaExploitAdd"`
	CISAActionDue         string                     `json:"cisaActionDue"`
	CISARequiredAction    string                     `json:"cisaRequiredAction"`
	CISAVulnerabilityName string                     `json:"cisaVulnerabilityName"`
}

type nvdWeakness struct {
	Description []struct {
		Value string `json:"value"`
	} `json:"description"`
}

type nvdReference struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags"`
}

type nvdCVSS struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
		BaseSeverity string  `json:"baseSeverity"`
	} `json:"cvssData"`
	BaseSeverity string `json:"baseSeverity"` // v2 keeps it outside cvssData
}

type nvdSSVC struct {
	Source   string `json:"source"`
	SSVCData struct {
		Timestamp string              `json:"timestamp"`
		Options   []map[string]string `json:"options"`
		Role      string              `json:"role"`
		Version   string              `json:"version"`
	} `json:"ssvcData"`
}

// cvssKeys are the metrics keys in preference order, with their version.
var cvssKeys = []struct{ key, version string }{
	{"cvssMetricV40", "4.0"}, {"cvssMetricV31", "3.1"}, {"cvssMetricV30", "3.0"}, {"cvssMetricV2", "2.0"},
}

func (c *nvdCVE) record() (store.CVERecord, error) {
	id := strings.TrimSpace(c.ID)
	if !cveID.MatchString(id) {
		return store.CVERecord{}, fmt.Errorf("id %q is not a CVE id", c.ID)
	}
	r := store.CVERecord{ID: id, SourceIdentifier: c.SourceIdentifier, Status: c.VulnStatus,
		CISARequiredAction: c.CISARequiredAction, CISAVulnerabilityName: c.CISAVulnerabilityName}
	var err error
	for _, f := range []struct {
		name string
		s    string
		t    *time.Time
	}{{"published", c.Published, &r.Published}, {"lastModified", c.LastModified, &r.LastModified}} {
		if f.s == "" {
			continue
		}
		if *f.t, err = parseTime(f.s); err != nil {
			return r, fmt.Errorf("%s: %s: %v", id, f.name, err)
		}
	}
	for _, f := range []struct {
		name string
		s    string
		t    **time.Time
	}{{"cisaExploitAdd", c.CISAExploitAdd, &r.CISAExploitAdd}, {"cisaActionDue", c.CISAActionDue, &r.CISAActionDue}} {
		if f.s == "" {
			continue
		}
		d, err := parseDate(f.s)
		if err != nil {
			return r, fmt.Errorf("%s: %s %q is not a date", id, f.name, f.s)
		}
		*f.t = &d
	}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			r.Description = d.Value
			break
		}
	}
	for _, k := range cvssKeys {
		raw, ok := c.Metrics[k.key]
		if !ok {
			continue
		}
		var ms []nvdCVSS
		if err := json.Unmarshal(raw, &ms); err != nil {
			return r, fmt.Errorf("%s: metrics.%s: %v", id, k.key, err)
		}
		// Primary (NVD's own) before Secondary (the CNA's), stable.
		slices.SortStableFunc(ms, func(a, b nvdCVSS) int { return primaryRank(a.Type) - primaryRank(b.Type) })
		for _, m := range ms {
			if m.CVSSData.VectorString == "" {
				continue
			}
			v := m.CVSSData.Version
			if v == "" {
				v = k.version
			}
			sev := m.CVSSData.BaseSeverity
			if sev == "" {
				sev = m.BaseSeverity
			}
			r.CVSS = append(r.CVSS, store.CVSSMetric{Source: m.Source, Type: m.Type, Version: v,
				Vector: m.CVSSData.VectorString, Score: m.CVSSData.BaseScore, Severity: sev})
		}
	}
	ssvc, err := c.ssvc()
	if err != nil {
		return r, fmt.Errorf("%s: %v", id, err)
	}
	r.SSVC = ssvc
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if strings.HasPrefix(d.Value, "CWE-") && !slices.Contains(r.CWEs, d.Value) {
				r.CWEs = append(r.CWEs, d.Value)
			}
		}
	}
	for _, ref := range c.References {
		if slices.Contains(ref.Tags, "Exploit") && ref.URL != "" && !slices.Contains(r.ExploitRefs, ref.URL) {
			r.ExploitRefs = append(r.ExploitRefs, ref.URL)
		}
	}
	return r, nil
}

func primaryRank(t string) int {
	if strings.EqualFold(t, "Primary") {
		return 0
	}
	return 1
}

// ssvc reads the SSVC points an ADP recorded (metrics.ssvcV203 and any
// later ssvc* version), preferring CISA's.
func (c *nvdCVE) ssvc() (*store.SSVC, error) {
	var best *store.SSVC
	keys := make([]string, 0, len(c.Metrics))
	for k := range c.Metrics {
		if strings.HasPrefix(strings.ToLower(k), "ssvc") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		var ms []nvdSSVC
		if err := json.Unmarshal(c.Metrics[k], &ms); err != nil {
			return nil, fmt.Errorf("metrics.%s: %v", k, err)
		}
		for _, m := range ms {
			s := &store.SSVC{Source: m.Source, Role: m.SSVCData.Role, Version: m.SSVCData.Version}
			if m.SSVCData.Timestamp != "" {
				t, err := parseTime(m.SSVCData.Timestamp)
				if err != nil {
					return nil, fmt.Errorf("metrics.%s: timestamp: %v", k, err)
				}
				s.Timestamp = t
			}
			for _, opt := range m.SSVCData.Options {
				for name, v := range opt {
					v = strings.ToLower(strings.TrimSpace(v))
					switch normKey(name) {
					case "exploitation":
						s.Exploitation = v
					case "automatable":
						s.Automatable = v
					case "technicalimpact":
						s.TechnicalImpact = v
					}
				}
			}
			if s.Exploitation == "" && s.Automatable == "" && s.TechnicalImpact == "" {
				continue
			}
			if best == nil || betterSSVC(s, best) {
				best = s
			}
		}
	}
	return best, nil
}

// betterSSVC prefers CISA's points, then the newest.
func betterSSVC(a, b *store.SSVC) bool {
	ac, bc := strings.HasPrefix(strings.ToLower(a.Role), "cisa"), strings.HasPrefix(strings.ToLower(b.Role), "cisa")
	if ac != bc {
		return ac
	}
	return a.Timestamp.After(b.Timestamp)
}

// normKey folds "Technical Impact", "technicalImpact", "technical_impact".
func normKey(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, " ", "")
	return strings.ReplaceAll(s, "_", "")
}
