package asff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/pkgvuln"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/references"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Str is a JSON scalar read as a string. Security Hub exports are produced by
// many integrations and some write numbers or booleans where the schema says
// string (CVSS BaseScore "7.5" vs 7.5, Epoch 0 vs "0"); one strange integration
// must not make a whole export unreadable.
type Str string

// UnmarshalJSON accepts a string, number, boolean or null.
func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*s = ""
		return nil
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
		return nil
	case b[0] == '{' || b[0] == '[':
		// An object where a scalar was expected carries nothing we use.
		*s = ""
		return nil
	}
	*s = Str(b)
	return nil
}

// Finding is the part of an ASFF finding ctem maps. Field names follow the
// AWS Security Finding Format (schema version 2018-10-08).
type Finding struct {
	SchemaVersion Str
	ID            Str `json:"Id"`
	ProductArn    Str
	ProductName   Str
	CompanyName   Str
	GeneratorID   Str `json:"GeneratorId"`
	AwsAccountID  Str `json:"AwsAccountId"`
	Region        Str
	Types         []Str
	Title         Str
	Description   Str
	SourceURL     Str `json:"SourceUrl"`
	Severity      struct {
		Label      Str
		Normalized Str
		Product    Str
		Original   Str
	}
	Remediation struct {
		Recommendation struct {
			Text Str
			URL  Str `json:"Url"`
		}
	}
	ProductFields map[string]Str
	Resources     []Resource
	Compliance    struct {
		Status              Str
		SecurityControlID   Str `json:"SecurityControlId"`
		RelatedRequirements []Str
		StatusReasons       []struct {
			ReasonCode  Str
			Description Str
		}
	}
	RecordState     Str
	WorkflowState   Str
	Workflow        struct{ Status Str }
	Vulnerabilities []Vulnerability
}

// Resource is one resource a finding is about.
type Resource struct {
	Type      Str
	ID        Str `json:"Id"`
	Partition Str
	Region    Str
	Tags      map[string]Str
	Details   struct {
		AwsEc2Instance *struct {
			Type          Str
			ImageID       Str   `json:"ImageId"`
			IPV4Addresses []Str `json:"IpV4Addresses"`
			IPV6Addresses []Str `json:"IpV6Addresses"`
			VpcID         Str   `json:"VpcId"`
			SubnetID      Str   `json:"SubnetId"`
		}
		AwsEcrContainerImage *struct {
			RegistryID     Str `json:"RegistryId"`
			RepositoryName Str
			ImageDigest    Str
			ImageTags      []Str
		}
	}
}

// Vulnerability is one entry of an Inspector finding's Vulnerabilities.
type Vulnerability struct {
	ID                 Str `json:"Id"`
	VulnerablePackages []struct {
		Name           Str
		Version        Str
		Epoch          Str
		Release        Str
		PackageManager Str
		FilePath       Str
		FixedInVersion Str
		Remediation    Str
	}
	Cvss []struct {
		Version    Str
		BaseVector Str
	}
	RelatedVulnerabilities []Str
	Vendor                 struct {
		Name Str
		URL  Str `json:"Url"`
	}
	ReferenceUrls []Str
}

// Closed reports whether a finding is not an open problem: a passed control,
// an archived record, a resolved workflow or a closed Inspector finding. ctem
// learns that an issue is fixed from its absence on a covered asset, so these
// become coverage, not findings.
func (f *Finding) Closed() bool {
	if strings.EqualFold(string(f.Compliance.Status), "PASSED") {
		return true
	}
	if strings.EqualFold(string(f.RecordState), "ARCHIVED") {
		return true
	}
	if strings.EqualFold(string(f.Workflow.Status), "RESOLVED") || strings.EqualFold(string(f.WorkflowState), "RESOLVED") {
		return true
	}
	if strings.EqualFold(string(f.ProductFields["aws/inspector/FindingStatus"]), "CLOSED") {
		return true
	}
	return false
}

// Product names the integration that produced the finding ("Inspector",
// "GuardDuty", "Security Hub", "Prowler"...).
func (f *Finding) Product() string {
	if p := f.ProductFields["aws/securityhub/ProductName"]; p != "" {
		return string(p)
	}
	if f.ProductName != "" {
		return string(f.ProductName)
	}
	if p := f.ProductFields["ProviderName"]; p != "" {
		return string(p)
	}
	// arn:aws:securityhub:eu-west-1::product/aws/guardduty
	arn := string(f.ProductArn)
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return ""
}

// Assets returns one AssetRef per resource of the finding, in report order;
// a finding without resources is about its account.
func (f *Finding) Assets() []report.AssetRef {
	if len(f.Resources) == 0 {
		return []report.AssetRef{f.accountAsset()}
	}
	out := make([]report.AssetRef, 0, len(f.Resources))
	for i := range f.Resources {
		out = append(out, f.resourceAsset(&f.Resources[i]))
	}
	return out
}

func (f *Finding) accountAsset() report.AssetRef {
	r := Resource{Type: "AwsAccount", ID: f.AwsAccountID}
	return f.resourceAsset(&r)
}

// Observation maps the finding onto its first resource, the one ASFF names
// as primary. The other resources are listed in the evidence; the tool counts
// one finding however many resources it touches.
func (f *Finding) Observation() report.Observation {
	asset := f.accountAsset()
	resourceID := string(f.AwsAccountID)
	if len(f.Resources) > 0 {
		asset = f.resourceAsset(&f.Resources[0])
		resourceID = string(f.Resources[0].ID)
	}
	for _, id := range asset.Identifiers {
		if id.Kind == model.IDARN {
			resourceID = id.Value // the canonical form of the resource ARN
		}
	}
	if asset.Attributes["type"] == "AwsAccount" {
		// An account-level check runs once per region (Prowler's "Access
		// Analyzer enabled" in each region): the region tells them apart.
		if region := nonempty.First(regionOf(f), string(f.Region)); region != "" {
			resourceID = region + ": " + resourceID
		}
	}
	fd := model.Finding{
		Title:       strings.TrimSpace(string(f.Title)),
		Description: report.Truncate(strings.TrimSpace(string(f.Description)), 8<<10),
		Location:    model.Location{Resource: resourceID},
	}
	sev := f.severityWord()
	fd.Severity = f.severity()

	var ev []string
	rec := strings.TrimSpace(string(f.Remediation.Recommendation.Text))
	if rec != "" && !strings.EqualFold(rec, "None Provided") {
		fd.Remediation = rec
	}
	references.Add(&fd, string(f.Remediation.Recommendation.URL))

	product := f.Product()
	switch {
	case len(f.Vulnerabilities) > 0:
		fd.Kind = model.KindVulnerability
		f.mapVulnerability(&fd, &ev)
	case strings.EqualFold(product, "Inspector") && f.vulnerabilityType():
		// An Inspector finding exported without its Vulnerabilities block:
		// the CVE is still in the title ("CVE-2022-3643 - kernel").
		fd.Kind = model.KindVulnerability
		fd.VulnID, fd.Aliases = report.VulnIDs(report.FindCVEs(string(f.Title))...)
	case strings.EqualFold(product, "GuardDuty"):
		fd.Kind = guardDutyKind(f)
		fd.RuleID = f.firstType()
		references.Add(&fd, string(f.SourceURL))
		if fd.Kind == model.KindExposedService {
			// An exposed service is known by its port; without one the
			// detection stays a finding of its own type on the resource.
			if port, proto := f.localPort(); port > 0 {
				fd.Location.Port, fd.Location.Protocol = port, proto
			} else {
				fd.Kind = model.KindMisconfiguration
			}
		}
	default:
		fd.Kind = model.KindMisconfiguration
		fd.RuleID = f.ruleID()
		for _, r := range f.Compliance.StatusReasons {
			if d := strings.TrimSpace(string(r.Description)); d != "" {
				ev = append(ev, d)
			}
		}
		if len(f.Compliance.RelatedRequirements) > 0 {
			reqs := make([]string, 0, len(f.Compliance.RelatedRequirements))
			for _, r := range f.Compliance.RelatedRequirements {
				reqs = append(reqs, string(r))
			}
			ev = append(ev, "Requirements: "+strings.Join(reqs, ", "))
		}
	}
	if fd.Title == "" {
		fd.Title = nonempty.First(fd.VulnID, fd.RuleID, "Security Hub finding")
	}
	if len(f.Resources) > 1 {
		ids := make([]string, 0, len(f.Resources))
		for _, r := range f.Resources {
			ids = append(ids, string(r.ID))
		}
		ev = append(ev, "Resources: "+strings.Join(ids, ", "))
	}
	toolID := fd.RuleID
	if fd.Kind == model.KindVulnerability {
		toolID = nonempty.First(fd.VulnID, string(f.GeneratorID))
	}
	if toolID == "" {
		toolID = string(f.ID)
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       toolID,
		ToolSeverity: sev,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4<<10),
		Finding:      fd,
	}
}

func (f *Finding) mapVulnerability(fd *model.Finding, ev *[]string) {
	ids := []string{}
	for _, v := range f.Vulnerabilities {
		ids = append(ids, string(v.ID))
		for _, r := range v.RelatedVulnerabilities {
			ids = append(ids, string(r))
		}
	}
	fd.VulnID, fd.Aliases = report.VulnIDs(ids...)
	v := f.Vulnerabilities[0]
	for _, c := range v.Cvss {
		report.AddCVSS(fd, string(c.BaseVector))
	}
	references.Add(fd, string(v.Vendor.URL))
	for _, u := range v.ReferenceUrls {
		references.Add(fd, string(u))
	}
	for i, p := range v.VulnerablePackages {
		version := pkgvuln.Version(string(p.Epoch), string(p.Version), string(p.Release))
		if i == 0 {
			fd.Component = model.Component{
				Name:         string(p.Name),
				Version:      version,
				FixedVersion: string(p.FixedInVersion),
				Ecosystem:    strings.ToLower(string(p.PackageManager)),
				Path:         string(p.FilePath),
			}
			if r := strings.TrimSpace(string(p.Remediation)); r != "" {
				fd.Remediation = r
			}
		}
		line := fmt.Sprintf("%s %s", p.Name, version)
		if p.FixedInVersion != "" {
			line += " (fixed in " + string(p.FixedInVersion) + ")"
		}
		if p.FilePath != "" {
			line += " at " + string(p.FilePath)
		}
		*ev = append(*ev, line)
	}
}

func guardDutyKind(f *Finding) model.FindingKind {
	t := f.firstType()
	if len(f.Resources) > 0 && strings.HasPrefix(string(f.Resources[0].Type), "AwsIam") || strings.Contains(t, "IAMUser") {
		return model.KindIdentityWeakness
	}
	// Probes of and brute force against an instance's open ports show that
	// a service is exposed; other detections (an instance scanning out,
	// mining, talking to bad hosts) are about what runs on it.
	if strings.Contains(t, "PortProbe") || strings.Contains(t, "BruteForce") {
		return model.KindExposedService
	}
	// GuardDuty reports threats; ctem has no threat kind, and a detection
	// on a resource is closest to a weakness of its configuration.
	return model.KindMisconfiguration
}

func (f *Finding) vulnerabilityType() bool {
	for _, t := range f.Types {
		if strings.Contains(string(t), "Vulnerabilities") {
			return true
		}
	}
	return len(report.FindCVEs(string(f.Title))) > 0
}

// localPort is the port of the instance that GuardDuty saw probed or
// attacked, from the flattened ProductFields
// (".../networkConnectionAction/localPortDetails/port": "22").
func (f *Finding) localPort() (int, string) {
	keys := make([]string, 0, 4)
	for k := range f.ProductFields {
		if strings.HasSuffix(k, "localPortDetails/port") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		port, err := strconv.Atoi(strings.TrimSpace(string(f.ProductFields[k])))
		if err != nil || port <= 0 || port > 65535 {
			continue
		}
		proto := strings.ToLower(string(f.ProductFields["aws/guardduty/service/action/networkConnectionAction/protocol"]))
		if proto == "" {
			proto = "tcp" // port probes are TCP connection attempts
		}
		return port, proto
	}
	return 0, ""
}

func (f *Finding) firstType() string {
	for _, t := range f.Types {
		if t != "" {
			return string(t)
		}
	}
	return ""
}

// ruleID is the control a posture finding checks: the consolidated security
// control id, the standard's control id, a Config rule, else the generator.
func (f *Finding) ruleID() string {
	return nonempty.First(
		string(f.Compliance.SecurityControlID),
		string(f.ProductFields["ControlId"]),
		string(f.ProductFields["RuleId"]),
		string(f.GeneratorID),
		string(f.ID),
	)
}

func (f *Finding) severityWord() string {
	if f.Severity.Label != "" {
		return string(f.Severity.Label)
	}
	return string(f.Severity.Original)
}

func (f *Finding) severity() model.Severity {
	if s, ok := report.Severity(string(f.Severity.Label)); ok {
		return s
	}
	// Normalized is 0-100: 0 informational, 1-39 low, 40-69 medium,
	// 70-89 high, 90-100 critical (ASFF documentation).
	var n float64
	if _, err := fmt.Sscan(string(f.Severity.Normalized), &n); err == nil {
		switch {
		case n >= 90:
			return model.SevCritical
		case n >= 70:
			return model.SevHigh
		case n >= 40:
			return model.SevMedium
		case n >= 1:
			return model.SevLow
		}
		return model.SevInfo
	}
	return report.SeverityOr(string(f.Severity.Original), model.SevInfo)
}

func regionOf(f *Finding) string {
	if len(f.Resources) > 0 {
		return string(f.Resources[0].Region)
	}
	return ""
}

// resourceAsset turns an ASFF resource into the asset ctem tracks.
func (f *Finding) resourceAsset(r *Resource) report.AssetRef {
	id := strings.TrimSpace(string(r.ID))
	region := nonempty.First(string(r.Region), string(f.Region))
	account := string(f.AwsAccountID)
	partition := nonempty.First(string(r.Partition), "aws")
	attrs := map[string]string{}
	assetref.SetAttr(attrs, "provider", "aws")
	assetref.SetAttr(attrs, "account", account)
	assetref.SetAttr(attrs, "region", region)
	assetref.SetAttr(attrs, "type", string(r.Type))
	if svc := arnService(id); svc != "" {
		assetref.SetAttr(attrs, "service", svc)
	}

	switch string(r.Type) {
	case "AwsEc2Instance":
		instance := instanceID(id)
		if instance == "" {
			instance = string(f.ProductFields["aws/inspector/instanceId"])
		}
		ref := report.AssetRef{Kind: model.AssetCloud, Name: nonempty.First(instance, id), Attributes: attrs}
		assetref.SetAttr(attrs, "service", "ec2")
		arn := id
		if !strings.HasPrefix(arn, "arn:") {
			arn = ""
			if instance != "" && region != "" && account != "" {
				arn = fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", partition, region, account, instance)
			}
		} else {
			arn = canonicalEC2ARN(arn)
		}
		assetref.AddID(&ref, model.IDARN, arn)
		assetref.AddID(&ref, model.IDCloudID, instance)
		if d := r.Details.AwsEc2Instance; d != nil {
			for _, ip := range d.IPV4Addresses {
				assetref.AddIP(&ref, string(ip))
			}
			for _, ip := range d.IPV6Addresses {
				assetref.AddIP(&ref, string(ip))
			}
			assetref.SetAttr(attrs, "image", string(d.ImageID))
			assetref.SetAttr(attrs, "vpc", string(d.VpcID))
		}
		for k, v := range f.ProductFields {
			if strings.HasSuffix(k, "awsEc2InstanceDetails/platform") {
				assetref.SetAttr(attrs, "os", string(v))
			}
		}
		return ref
	case "AwsEcrContainerImage":
		ref := report.AssetRef{Kind: model.AssetImage, Attributes: attrs}
		digest := ""
		if i := strings.Index(id, "sha256:"); i >= 0 {
			digest = id[i:]
		}
		repo := ""
		var tags []string
		registry := ""
		if d := r.Details.AwsEcrContainerImage; d != nil {
			digest = nonempty.First(string(d.ImageDigest), digest)
			repo = string(d.RepositoryName)
			registry = string(d.RegistryID)
			for _, t := range d.ImageTags {
				tags = append(tags, string(t))
			}
		}
		assetref.AddID(&ref, model.IDImageDigest, digest)
		host := ""
		if registry != "" && region != "" {
			host = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/", registry, region)
		}
		for _, t := range tags {
			if repo != "" {
				assetref.AddID(&ref, model.IDImageRef, host+repo+":"+t)
			}
		}
		if strings.HasPrefix(id, "arn:") {
			assetref.AddID(&ref, model.IDARN, id)
		}
		assetref.SetAttr(attrs, "repository", repo)
		ref.Name = nonempty.First(imageName(repo, tags, digest), id)
		return ref
	}

	if strings.HasPrefix(id, "arn:") {
		ref := report.AssetRef{Kind: model.AssetCloud, Name: id, Attributes: attrs}
		assetref.AddID(&ref, model.IDARN, id)
		return ref
	}
	// Without an ARN a resource id is only unique within its account, and
	// integrations write pseudo resources ("Macie", "No trails",
	// "AWS::IAM::AccessKey:..."): the account is the asset, and the
	// observation keeps the id as its location.
	acct := accountResource(string(r.Type), id, account)
	if acct == "" {
		acct = account
	}
	ref := report.AssetRef{Kind: model.AssetCloud, Name: acct, Attributes: attrs}
	assetref.SetAttr(attrs, "account", acct)
	assetref.SetAttr(attrs, "type", "AwsAccount")
	delete(attrs, "region")
	delete(attrs, "service")
	assetref.AddID(&ref, model.IDCloudID, acct)
	return ref
}

// accountResource returns the account number when a resource stands for a
// whole AWS account: type AwsAccount ("AWS::::Account:0123..."), or a bare
// account number as Prowler writes it.
func accountResource(typ, id, account string) string {
	if typ == "AwsAccount" {
		if i := strings.LastIndexByte(id, ':'); i >= 0 && isAccountNumber(id[i+1:]) {
			return id[i+1:]
		}
		if isAccountNumber(id) {
			return id
		}
		return account
	}
	if isAccountNumber(id) && (account == "" || id == account) {
		return id
	}
	return ""
}

func isAccountNumber(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func imageName(repo string, tags []string, digest string) string {
	switch {
	case repo != "" && len(tags) > 0:
		return repo + ":" + tags[0]
	case repo != "" && digest != "":
		return repo + "@" + digest
	}
	return repo
}

// instanceID finds the EC2 instance id in an ARN or bare id.
func instanceID(id string) string {
	i := strings.LastIndexAny(id, "/:")
	last := id[i+1:]
	if strings.HasPrefix(last, "i-") {
		return last
	}
	return ""
}

// canonicalEC2ARN repairs instance ARNs that some exports write without the
// "instance/" resource type (arn:aws:ec2:r:a:i-123), so they match the ARN
// other tools report for the same instance.
func canonicalEC2ARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[2] == "ec2" && strings.HasPrefix(parts[5], "i-") {
		parts[5] = "instance/" + parts[5]
		return strings.Join(parts, ":")
	}
	return arn
}

func arnService(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return ""
	}
	parts := strings.SplitN(id, ":", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}
