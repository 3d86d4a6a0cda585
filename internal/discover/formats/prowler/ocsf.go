package prowler

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/references"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// OCSFGeneration tells which Prowler major version wrote the OCSF array in
// head: the product version when it is a number (4.2.1 -> 4), otherwise the
// OCSF schema version Prowler used (1.2 for v4, 1.3 and later for v5). ok is
// false when head is not a Prowler OCSF array.
func OCSFGeneration(head []byte) (gen int, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(lead.Trim(head)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0, false
	}
	if !dec.More() {
		return 0, false
	}
	var first struct {
		Metadata struct {
			EventCode string `json:"event_code"`
			Version   string `json:"version"`
			Product   struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"product"`
		} `json:"metadata"`
	}
	if err := dec.Decode(&first); err != nil {
		// The first finding does not fit in head: fall back on the text.
		return generationFromText(head)
	}
	m := first.Metadata
	if !strings.EqualFold(m.Product.Name, "Prowler") || m.EventCode == "" {
		return 0, false
	}
	return generation(m.Product.Version, m.Version), true
}

func generation(product, schema string) int {
	if major, err := strconv.Atoi(strings.SplitN(product, ".", 2)[0]); err == nil && major > 0 {
		return major
	}
	// Placeholder or missing product version: Prowler 4 wrote OCSF 1.2,
	// Prowler 5 writes 1.3 and later.
	parts := strings.SplitN(schema, ".", 3)
	if len(parts) >= 2 {
		maj, err1 := strconv.Atoi(parts[0])
		min, err2 := strconv.Atoi(parts[1])
		if err1 == nil && err2 == nil && (maj > 1 || min >= 3) {
			return 5
		}
	}
	return 4
}

func generationFromText(head []byte) (int, bool) {
	if !bytes.Contains(head, []byte(`"event_code"`)) || !bytes.Contains(head, []byte(`"Prowler"`)) {
		return 0, false
	}
	// `"version": "5.4.0"` inside the product object; the product object
	// comes first in Prowler's metadata.
	i := bytes.Index(head, []byte(`"product"`))
	if i < 0 {
		return 0, false
	}
	rest := head[i:]
	j := bytes.Index(rest, []byte(`"version"`))
	if j < 0 {
		return 0, false
	}
	rest = rest[j+len(`"version"`):]
	rest = bytes.TrimLeft(rest, " \t\r\n:")
	if len(rest) > 1 && rest[0] == '"' {
		if k := bytes.IndexByte(rest[1:], '"'); k >= 0 {
			return generation(string(rest[1:1+k]), ""), true
		}
	}
	return 4, true
}

// OCSFFinding is the part of a Prowler OCSF detection finding ctem maps.
type OCSFFinding struct {
	Message      string `json:"message"`
	Severity     string `json:"severity"`
	SeverityID   int    `json:"severity_id"`
	Status       string `json:"status"`
	StatusCode   string `json:"status_code"`
	StatusDetail string `json:"status_detail"`
	RiskDetails  string `json:"risk_details"`
	Metadata     struct {
		EventCode string `json:"event_code"`
	} `json:"metadata"`
	FindingInfo struct {
		UID   string `json:"uid"`
		Title string `json:"title"`
		Desc  string `json:"desc"`
	} `json:"finding_info"`
	Resources []struct {
		UID       string `json:"uid"`
		Name      string `json:"name"`
		Region    string `json:"region"`
		Namespace string `json:"namespace"`
		Type      string `json:"type"`
		Partition string `json:"cloud_partition"`
		Group     struct {
			Name string `json:"name"`
		} `json:"group"`
	} `json:"resources"`
	Cloud struct {
		Provider string `json:"provider"`
		Region   string `json:"region"`
		Account  struct {
			UID  string `json:"uid"`
			Name string `json:"name"`
		} `json:"account"`
	} `json:"cloud"`
	Remediation struct {
		Desc       string   `json:"desc"`
		References []string `json:"references"`
	} `json:"remediation"`
	Unmapped struct {
		RelatedURL     string          `json:"related_url"`
		AdditionalURLs json.RawMessage `json:"additional_urls"`
	} `json:"unmapped"`
}

// ParseOCSF reads a Prowler OCSF JSON array from r.
func ParseOCSF(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(r)
	seen := map[string]bool{}
	err := js.Array(func(int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := js.Offset()
		var f OCSFFinding
		if err := js.Decode(&f); err != nil {
			return err
		}
		if f.Metadata.EventCode == "" && f.StatusCode == "" && f.FindingInfo.UID == "" {
			return report.Errorf(off, "expected a Prowler OCSF finding with metadata.event_code and status_code")
		}
		return f.emit(sink, seen)
	})
	if err != nil {
		return err
	}
	return js.End()
}

func (f *OCSFFinding) emit(sink report.Sink, seen map[string]bool) error {
	c := Check{
		Provider:     f.Cloud.Provider,
		Account:      f.Cloud.Account.UID,
		AccountName:  f.Cloud.Account.Name,
		Region:       f.Cloud.Region,
		CheckID:      f.Metadata.EventCode,
		Status:       f.StatusCode,
		Muted:        strings.EqualFold(f.Status, "Suppressed"),
		Severity:     f.Severity,
		Title:        nonempty.First(f.Message, f.StatusDetail, f.FindingInfo.Title),
		Description:  f.FindingInfo.Desc,
		Risk:         f.RiskDetails,
		StatusDetail: f.StatusDetail,
		Remediation:  f.Remediation.Desc,
	}
	if c.Severity == "" {
		c.Severity = severityFromID(f.SeverityID)
	}
	if len(f.Resources) > 0 {
		res := f.Resources[0]
		c.ResourceUID, c.ResourceName, c.ResourceType = res.UID, res.Name, res.Type
		c.Service, c.Partition, c.Namespace = res.Group.Name, res.Partition, res.Namespace
		c.Region = nonempty.First(res.Region, c.Region)
	}
	if c.Provider == "" && (c.Namespace != "" || strings.HasPrefix(c.ResourceType, "Kubernetes")) {
		c.Provider = "kubernetes"
	}
	c.Refs = append(c.Refs, f.Unmapped.RelatedURL)
	c.Refs = append(c.Refs, f.Remediation.References...)
	var more []string
	if json.Unmarshal(f.Unmapped.AdditionalURLs, &more) == nil {
		c.Refs = append(c.Refs, more...)
	}
	return c.Emit(sink, seen)
}

// severityFromID maps OCSF severity_id (1 informational .. 5 critical).
func severityFromID(id int) string {
	switch id {
	case 1:
		return "informational"
	case 2:
		return "low"
	case 3:
		return "medium"
	case 4:
		return "high"
	case 5, 6:
		return "critical"
	}
	return ""
}

// Check is one Prowler check result on one resource, whichever output (CSV,
// OCSF or Prowler v3 JSON) it came from. Its fields hold the report's text.
type Check struct {
	Provider, Account, AccountName, Region, Partition, Namespace string
	CheckID, Status, Severity                                    string
	Muted                                                        bool
	Title, Description, Risk, StatusDetail, Remediation          string
	ResourceUID, ResourceName, ResourceType, Service             string
	Refs                                                         []string
}

// Emit reports the resource as covered and, unless the check passed or was
// muted, one observation. Prowler repeats a result when a check is listed
// twice; seen keeps one per (asset, check, location) and remembers the
// assets already reported.
func (c *Check) Emit(sink report.Sink, seen map[string]bool) error {
	asset, where := c.asset()
	// Each resource is reported once however many checks ran on it.
	akey := "asset\x00" + string(asset.Kind) + "\x00" + asset.Name
	for _, id := range asset.Identifiers {
		akey += "\x00" + string(id.Kind) + "=" + id.Value
	}
	if !seen[akey] {
		seen[akey] = true
		if err := sink.Asset(asset); err != nil {
			return err
		}
	}
	switch strings.ToUpper(strings.TrimSpace(c.Status)) {
	case "PASS", "INFO":
		// Passed checks are coverage, not findings.
		return nil
	}
	if c.Muted {
		return nil
	}
	key := "check\x00" + akey + "\x00" + c.CheckID + "\x00" + where
	if seen[key] {
		return nil
	}
	seen[key] = true

	fd := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       nonempty.First(c.Title, c.CheckID),
		Description: report.Truncate(nonempty.Join("\n\n", c.Description, c.Risk), 8<<10),
		Severity:    report.SeverityOr(c.Severity, model.SevMedium),
		RuleID:      c.CheckID,
		Remediation: c.Remediation,
		Location:    model.Location{Resource: where},
	}
	for _, u := range c.Refs {
		references.Add(&fd, u)
	}
	ev := c.StatusDetail
	if strings.EqualFold(c.Status, "MANUAL") {
		ev = nonempty.Join("\n", "Manual check: verify by hand.", ev)
	}
	return sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       c.CheckID,
		ToolSeverity: c.Severity,
		Evidence:     report.Truncate(ev, 4<<10),
		Finding:      fd,
	})
}

// asset names the checked resource and where on it the finding is. An ARN
// (AWS), an Azure resource id and a Kubernetes uid name a resource
// everywhere. Other ids are only unique within their account, and Prowler
// writes pseudo resources for account settings ("EBS Default Encryption",
// "AppInsights"): on AWS those are findings on the account, elsewhere the id
// is qualified by the account.
func (c *Check) asset() (report.AssetRef, string) {
	provider := strings.ToLower(c.Provider)
	attrs := map[string]string{}
	assetref.SetAttr(attrs, "provider", provider)
	assetref.SetAttr(attrs, "account", c.Account)
	assetref.SetAttr(attrs, "service", c.Service)
	assetref.SetAttr(attrs, "type", c.ResourceType)
	if provider == "kubernetes" {
		assetref.SetAttr(attrs, "cluster", strings.TrimPrefix(nonempty.First(c.AccountName, c.Account), "context: "))
		assetref.SetAttr(attrs, "namespace", nonempty.First(c.Namespace, strings.TrimPrefix(c.Region, "namespace: ")))
	} else {
		assetref.SetAttr(attrs, "region", c.Region)
	}
	uid := strings.TrimSpace(c.ResourceUID)
	ref := report.AssetRef{Kind: model.AssetCloud, Name: nonempty.First(c.ResourceName, uid), Attributes: attrs}
	switch {
	case strings.HasPrefix(uid, "arn:"):
		addID(&ref, model.IDARN, uid)
		return ref, uid
	case provider == "kubernetes" && uid != "",
		provider == "azure" && strings.HasPrefix(strings.ToLower(uid), "/subscriptions/"):
		addID(&ref, model.IDCloudID, uid)
		return ref, uid
	case uid != "" && uid != c.Account && provider != "aws" && c.Account != "":
		addID(&ref, model.IDCloudID, c.Account+"/"+uid)
		return ref, uid
	case c.Account == "" && uid != "":
		addID(&ref, model.IDCloudID, uid)
		return ref, uid
	}
	// The account itself.
	ref.Name = c.Account
	delete(attrs, "region")
	delete(attrs, "service")
	attrs["type"] = "account"
	addID(&ref, model.IDCloudID, c.Account)
	where := nonempty.First(uid, c.ResourceName, c.Account)
	if c.Region != "" && provider != "kubernetes" {
		where = c.Region + ": " + where
	}
	return ref, where
}

func addID(ref *report.AssetRef, kind model.IdentifierKind, v string) {
	if v = strings.TrimSpace(v); v != "" {
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: kind, Value: v})
	}
}
