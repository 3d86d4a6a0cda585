package intel

import (
	"fmt"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/store"
)

// kevJSON is one catalog entry as CISA writes it. Unknown fields are
// ignored; cwes and forensicTriage are optional.
type kevJSON struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
	ForensicTriage             string   `json:"forensicTriage"`
}

// ParseKEV reads a CISA KEV catalog (JSON, plain or gzip'd), decoding one
// entry at a time. Count is the count the catalog states; callers may warn
// when it differs from len(Entries).
func ParseKEV(r io.Reader) (store.KEVCatalog, error) {
	var cat store.KEVCatalog
	dr, err := decompress(r)
	if err != nil {
		return cat, report.AtOffset(0, err)
	}
	js := report.NewJSONStream(dr)
	var released string
	seen := map[string]bool{}
	hasList := false
	err = js.Object(func(key string) error {
		switch key {
		case "catalogVersion":
			return js.Decode(&cat.Version)
		case "dateReleased":
			return js.Decode(&released)
		case "count":
			return js.Decode(&cat.Count)
		case "vulnerabilities":
			hasList = true
			return js.Array(func(i int) error {
				var v kevJSON
				at, err := element(js, &v)
				if err != nil {
					return err
				}
				e, err := kevEntry(v)
				if err != nil {
					return report.Errorf(at, "vulnerabilities[%d]: %v", i, err)
				}
				if seen[e.VulnID] {
					return report.Errorf(at, "vulnerabilities[%d]: %s is listed twice", i, e.VulnID)
				}
				seen[e.VulnID] = true
				cat.Entries = append(cat.Entries, e)
				return nil
			})
		}
		return js.Skip()
	})
	if err == nil {
		err = js.End()
	}
	if err != nil {
		return cat, err
	}
	end := js.Offset()
	switch {
	case cat.Version == "":
		return cat, report.Errorf(end, "not a KEV catalog: no catalogVersion")
	case released == "":
		return cat, report.Errorf(end, "KEV catalog %s has no dateReleased", cat.Version)
	case !hasList:
		return cat, report.Errorf(end, "KEV catalog %s has no vulnerabilities list", cat.Version)
	}
	if cat.Released, err = parseTime(released); err != nil {
		return cat, report.Errorf(end, "KEV catalog %s: dateReleased: %v", cat.Version, err)
	}
	return cat, nil
}

func kevEntry(v kevJSON) (store.KEVEntry, error) {
	id := strings.TrimSpace(v.CVEID)
	if !cveID.MatchString(id) {
		return store.KEVEntry{}, fmt.Errorf("cveID %q is not a CVE id", v.CVEID)
	}
	added, err := parseDate(strings.TrimSpace(v.DateAdded))
	if err != nil {
		return store.KEVEntry{}, fmt.Errorf("%s: dateAdded %q is not a date (YYYY-MM-DD)", id, v.DateAdded)
	}
	e := store.KEVEntry{
		VulnID: id, VendorProject: strings.TrimSpace(v.VendorProject), Product: strings.TrimSpace(v.Product),
		Name: strings.TrimSpace(v.VulnerabilityName), DateAdded: added,
		Ransomware:       strings.EqualFold(strings.TrimSpace(v.KnownRansomwareCampaignUse), "Known"),
		ShortDescription: strings.TrimSpace(v.ShortDescription), RequiredAction: strings.TrimSpace(v.RequiredAction),
		Notes: strings.TrimSpace(v.Notes), ForensicTriage: strings.TrimSpace(v.ForensicTriage),
	}
	// dueDate is stored as given: 15 entries of 2025 are due before they
	// were added.
	if d := strings.TrimSpace(v.DueDate); d != "" {
		due, err := parseDate(d)
		if err != nil {
			return e, fmt.Errorf("%s: dueDate %q is not a date (YYYY-MM-DD)", id, v.DueDate)
		}
		e.DueDate = &due
	}
	for _, c := range v.CWEs {
		if c = strings.TrimSpace(c); c != "" {
			e.CWEs = append(e.CWEs, c)
		}
	}
	return e, nil
}
