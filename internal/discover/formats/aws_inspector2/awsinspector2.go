// Package awsinspector2 reads Amazon Inspector (v2) findings as
// `aws inspector2 list-findings` writes them: {"findings": [...]}, with
// package vulnerabilities on EC2 instances, ECR images and Lambda functions,
// code vulnerabilities in Lambda code, and network reachability findings.
package awsinspector2

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/pkgvuln"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/references"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Inspector2 format.
func New() report.Format { return format{} }

func (format) Name() string        { return "aws_inspector2" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Amazon Inspector v2 findings JSON (list-findings)" }

// Detect claims the list-findings object: camel-case finding keys
// (findingArn, inspectorScore, packageVulnerabilityDetails) and none of the
// ASFF keys that a Security Hub export of Inspector findings carries.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(h) == 0 || h[0] != '{' || !bytes.Contains(h, []byte(`"findings"`)) {
		return 0
	}
	if bytes.Contains(h, []byte(`"SchemaVersion"`)) || bytes.Contains(h, []byte(`"ProductArn"`)) {
		return 0
	}
	if bytes.Contains(h, []byte(`"findingArn"`)) {
		if bytes.Contains(h, []byte(`"awsAccountId"`)) || bytes.Contains(h, []byte(`"inspectorScore"`)) ||
			bytes.Contains(h, []byte(`"packageVulnerabilityDetails"`)) {
			return 95
		}
		return 70
	}
	// {"findings": []}: an empty list-findings page. Nothing else in it, so
	// it can only be claimed weakly.
	if bytes.Count(h, []byte("{")) == 1 && bytes.Count(h, []byte("}")) == 1 && bytes.Contains(h, []byte("[")) {
		return 30
	}
	return 0
}

// str is a JSON scalar read as a string; Inspector writes epochs and scores
// as numbers, other producers as strings.
type str string

func (s *str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null" || b[0] == '{' || b[0] == '[':
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = str(v)
	default:
		*s = str(b)
	}
	return nil
}

type finding struct {
	FindingArn   str `json:"findingArn"`
	AwsAccountID str `json:"awsAccountId"`
	Type         str `json:"type"`
	Title        str `json:"title"`
	Description  str `json:"description"`
	Severity     str `json:"severity"`
	Status       str `json:"status"`
	Remediation  struct {
		Recommendation struct {
			Text str `json:"text"`
			URL  str `json:"Url"`
		} `json:"recommendation"`
	} `json:"remediation"`
	Resources             []resource `json:"resources"`
	InspectorScoreDetails struct {
		AdjustedCvss struct {
			ScoringVector str `json:"scoringVector"`
		} `json:"adjustedCvss"`
	} `json:"inspectorScoreDetails"`
	PackageVulnerabilityDetails *struct {
		VulnerabilityID        str   `json:"vulnerabilityId"`
		RelatedVulnerabilities []str `json:"relatedVulnerabilities"`
		SourceURL              str   `json:"sourceUrl"`
		ReferenceUrls          []str `json:"referenceUrls"`
		Cvss                   []struct {
			ScoringVector str `json:"scoringVector"`
		} `json:"cvss"`
		VulnerablePackages []struct {
			Name           str `json:"name"`
			Version        str `json:"version"`
			Epoch          str `json:"epoch"`
			Release        str `json:"release"`
			PackageManager str `json:"packageManager"`
			FilePath       str `json:"filePath"`
			FixedInVersion str `json:"fixedInVersion"`
			Remediation    str `json:"remediation"`
		} `json:"vulnerablePackages"`
	} `json:"packageVulnerabilityDetails"`
	CodeVulnerabilityDetails *struct {
		Cwes       []str `json:"cwes"`
		DetectorID str   `json:"detectorId"`
		RuleID     str   `json:"ruleId"`
		FilePath   struct {
			FileName  str `json:"fileName"`
			FilePath  str `json:"filePath"`
			StartLine int `json:"startLine"`
			EndLine   int `json:"endLine"`
		} `json:"filePath"`
		ReferenceUrls []str `json:"referenceUrls"`
	} `json:"codeVulnerabilityDetails"`
	NetworkReachabilityDetails *struct {
		OpenPortRange struct {
			Begin int `json:"begin"`
			End   int `json:"end"`
		} `json:"openPortRange"`
		Protocol    str `json:"protocol"`
		NetworkPath struct {
			Steps []struct {
				ComponentID   str `json:"componentId"`
				ComponentType str `json:"componentType"`
			} `json:"steps"`
		} `json:"networkPath"`
	} `json:"networkReachabilityDetails"`
}

type resource struct {
	Type      str `json:"type"`
	ID        str `json:"id"`
	Partition str `json:"partition"`
	Region    str `json:"region"`
	Details   struct {
		AwsEc2Instance *struct {
			ImageID       str   `json:"imageId"`
			IPV4Addresses []str `json:"ipV4Addresses"`
			IPV6Addresses []str `json:"ipV6Addresses"`
			Platform      str   `json:"platform"`
			VpcID         str   `json:"vpcId"`
		} `json:"awsEc2Instance"`
		AwsEcrContainerImage *struct {
			ImageHash      str   `json:"imageHash"`
			ImageTags      []str `json:"imageTags"`
			Registry       str   `json:"registry"`
			RepositoryName str   `json:"repositoryName"`
			Platform       str   `json:"platform"`
		} `json:"awsEcrContainerImage"`
		AwsLambdaFunction *struct {
			FunctionName str `json:"functionName"`
			Runtime      str `json:"runtime"`
		} `json:"awsLambdaFunction"`
	} `json:"details"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(lead.SkipBOM(r))
	found := false
	err := js.Object(func(key string) error {
		if key != "findings" {
			return js.Skip()
		}
		found = true
		return js.Array(func(int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			off := js.Offset()
			var f finding
			if err := js.Decode(&f); err != nil {
				return err
			}
			if f.FindingArn == "" && f.Type == "" && len(f.Resources) == 0 {
				return report.Errorf(off, "expected an Inspector2 finding with findingArn, type and resources")
			}
			return emit(&f, sink)
		})
	})
	if err != nil {
		return err
	}
	if !found {
		// The list-findings output always has "findings"; an object without
		// it is another document (DefectDojo rejects it the same way).
		return report.Errorf(js.Offset(), `expected an Inspector2 report object with a "findings" array`)
	}
	return js.End()
}

func emit(f *finding, sink report.Sink) error {
	assets := make([]report.AssetRef, 0, len(f.Resources))
	for i := range f.Resources {
		a := resourceAsset(&f.Resources[i], string(f.AwsAccountID))
		assets = append(assets, a)
		if err := sink.Asset(a); err != nil {
			return err
		}
	}
	// A CLOSED finding was fixed: its absence on the covered asset tells the
	// pipeline so. SUPPRESSED findings are still present, only muted.
	if strings.EqualFold(string(f.Status), "CLOSED") {
		return nil
	}
	obs := report.Observation{ToolSeverity: string(f.Severity)}
	if len(assets) > 0 {
		obs.Asset = assets[0]
		obs.Finding.Location.Resource = unqualifiedLambdaARN(string(f.Resources[0].ID))
	} else if f.AwsAccountID != "" {
		obs.Asset = report.AssetRef{Kind: model.AssetCloud, Name: string(f.AwsAccountID),
			Identifiers: []model.Identifier{{Kind: model.IDCloudID, Value: string(f.AwsAccountID)}},
			Attributes:  map[string]string{"provider": "aws", "account": string(f.AwsAccountID), "type": "AwsAccount"}}
	}
	fd := &obs.Finding
	fd.Title = strings.TrimSpace(string(f.Title))
	fd.Description = report.Truncate(strings.TrimSpace(string(f.Description)), 8<<10)
	fd.Severity = report.SeverityOr(string(f.Severity), model.SevInfo)
	if rec := strings.TrimSpace(string(f.Remediation.Recommendation.Text)); rec != "" && !strings.EqualFold(rec, "None Provided") {
		fd.Remediation = rec
	}
	references.Add(fd, string(f.Remediation.Recommendation.URL))
	var ev []string

	switch {
	case f.PackageVulnerabilityDetails != nil || strings.EqualFold(string(f.Type), "PACKAGE_VULNERABILITY"):
		fd.Kind = model.KindVulnerability
		report.AddCVSS(fd, string(f.InspectorScoreDetails.AdjustedCvss.ScoringVector))
		if d := f.PackageVulnerabilityDetails; d != nil {
			ids := []string{string(d.VulnerabilityID)}
			for _, r := range d.RelatedVulnerabilities {
				ids = append(ids, string(r))
			}
			fd.VulnID, fd.Aliases = report.VulnIDs(ids...)
			for _, c := range d.Cvss {
				report.AddCVSS(fd, string(c.ScoringVector))
			}
			for _, u := range d.ReferenceUrls {
				references.Add(fd, string(u))
			}
			references.Add(fd, string(d.SourceURL))
			for i, p := range d.VulnerablePackages {
				version := pkgvuln.Version(string(p.Epoch), string(p.Version), string(p.Release))
				if i == 0 {
					fd.Component = model.Component{
						Name:         string(p.Name),
						Version:      version,
						FixedVersion: string(p.FixedInVersion),
						Ecosystem:    strings.ToLower(string(p.PackageManager)),
						Path:         string(p.FilePath),
					}
					if rem := strings.TrimSpace(string(p.Remediation)); rem != "" {
						fd.Remediation = rem
					}
				}
				line := fmt.Sprintf("%s %s", p.Name, version)
				if p.FixedInVersion != "" {
					line += " (fixed in " + string(p.FixedInVersion) + ")"
				}
				if p.FilePath != "" {
					line += " at " + string(p.FilePath)
				}
				ev = append(ev, line)
			}
		}
		obs.ToolID = fd.VulnID
	case f.CodeVulnerabilityDetails != nil || strings.EqualFold(string(f.Type), "CODE_VULNERABILITY"):
		fd.Kind = model.KindCodeWeakness
		if d := f.CodeVulnerabilityDetails; d != nil {
			fd.RuleID = nonempty.First(string(d.RuleID), string(d.DetectorID))
			for _, c := range d.Cwes {
				report.AddCWE(fd, string(c))
			}
			file := string(d.FilePath.FilePath)
			if name := string(d.FilePath.FileName); name != "" && path.Base(file) != name {
				file = path.Join(file, name)
			}
			fd.Location.File = file
			fd.Location.Line = d.FilePath.StartLine
			if d.FilePath.EndLine > d.FilePath.StartLine {
				fd.Location.EndLine = d.FilePath.EndLine
			}
			for _, u := range d.ReferenceUrls {
				references.Add(fd, string(u))
			}
			if d.DetectorID != "" {
				ev = append(ev, "Detector: "+string(d.DetectorID))
			}
		}
		// The finding ARN is Inspector's own identity for the issue and does
		// not change when the code moves.
		obs.Anchor = string(f.FindingArn)
		obs.ToolID = nonempty.First(fd.RuleID, string(f.Type))
	case f.NetworkReachabilityDetails != nil || strings.EqualFold(string(f.Type), "NETWORK_REACHABILITY"):
		fd.Kind = model.KindExposedService
		fd.RuleID = "NETWORK_REACHABILITY"
		if d := f.NetworkReachabilityDetails; d == nil || d.OpenPortRange.Begin <= 0 {
			// An exposed service is known by its port; without one the
			// finding is a check on the resource.
			fd.Kind = model.KindMisconfiguration
		}
		if d := f.NetworkReachabilityDetails; d != nil {
			fd.Location.Protocol = strings.ToLower(string(d.Protocol))
			fd.Location.Port = d.OpenPortRange.Begin
			if d.OpenPortRange.End != d.OpenPortRange.Begin {
				ev = append(ev, fmt.Sprintf("Open ports %d-%d/%s", d.OpenPortRange.Begin, d.OpenPortRange.End, fd.Location.Protocol))
			}
			var steps []string
			for _, s := range d.NetworkPath.Steps {
				steps = append(steps, string(s.ComponentType)+" "+string(s.ComponentID))
			}
			if len(steps) > 0 {
				ev = append(ev, "Path: "+strings.Join(steps, " -> "))
			}
		}
		obs.ToolID = fd.RuleID
	default:
		// A finding type newer than this parser: keep it rather than fail
		// the import, as a check on the resource.
		fd.Kind = model.KindMisconfiguration
		fd.RuleID = string(f.Type)
		obs.ToolID = fd.RuleID
	}
	if fd.Title == "" {
		fd.Title = nonempty.First(fd.VulnID, fd.RuleID, "Inspector finding")
	}
	if obs.ToolID == "" {
		obs.ToolID = string(f.FindingArn)
	}
	if len(f.Resources) > 1 {
		ids := make([]string, 0, len(f.Resources))
		for _, r := range f.Resources {
			ids = append(ids, string(r.ID))
		}
		ev = append(ev, "Resources: "+strings.Join(ids, ", "))
	}
	obs.Evidence = report.Truncate(strings.Join(ev, "\n"), 4<<10)
	return sink.Observe(obs)
}

// resourceAsset maps an Inspector resource to the asset it is: an EC2
// instance (cloud resource with ARN, instance id and its addresses), an ECR
// image (image by digest and tags), a Lambda function or other resource.
func resourceAsset(r *resource, account string) report.AssetRef {
	id := strings.TrimSpace(string(r.ID))
	region := string(r.Region)
	partition := nonempty.First(string(r.Partition), "aws")
	attrs := map[string]string{}
	assetref.SetAttr(attrs, "provider", "aws")
	assetref.SetAttr(attrs, "account", account)
	assetref.SetAttr(attrs, "region", region)
	assetref.SetAttr(attrs, "type", string(r.Type))
	ref := report.AssetRef{Kind: model.AssetCloud, Name: id, Attributes: attrs}

	switch string(r.Type) {
	case "AWS_EC2_INSTANCE":
		assetref.SetAttr(attrs, "service", "ec2")
		instance := id
		if i := strings.LastIndexAny(id, "/:"); i >= 0 {
			instance = id[i+1:]
		}
		arn := id
		if !strings.HasPrefix(arn, "arn:") {
			arn = ""
			if region != "" && account != "" && instance != "" {
				arn = fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", partition, region, account, instance)
			}
		}
		ref.Name = instance
		assetref.AddID(&ref, model.IDARN, arn)
		assetref.AddID(&ref, model.IDCloudID, instance)
		if d := r.Details.AwsEc2Instance; d != nil {
			for _, ip := range d.IPV4Addresses {
				assetref.AddIP(&ref, string(ip))
			}
			for _, ip := range d.IPV6Addresses {
				assetref.AddIP(&ref, string(ip))
			}
			assetref.SetAttr(attrs, "os", string(d.Platform))
			assetref.SetAttr(attrs, "image", string(d.ImageID))
			assetref.SetAttr(attrs, "vpc", string(d.VpcID))
		}
	case "AWS_ECR_CONTAINER_IMAGE":
		ref.Kind = model.AssetImage
		assetref.SetAttr(attrs, "service", "ecr")
		digest := ""
		if i := strings.Index(id, "sha256:"); i >= 0 {
			digest = id[i:]
		}
		if d := r.Details.AwsEcrContainerImage; d != nil {
			digest = nonempty.First(string(d.ImageHash), digest)
			assetref.AddID(&ref, model.IDImageDigest, digest)
			repo := string(d.RepositoryName)
			host := ""
			if d.Registry != "" && region != "" {
				host = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/", d.Registry, region)
			}
			for _, t := range d.ImageTags {
				if repo != "" && t != "" {
					assetref.AddID(&ref, model.IDImageRef, host+repo+":"+string(t))
				}
			}
			assetref.SetAttr(attrs, "repository", repo)
			assetref.SetAttr(attrs, "os", string(d.Platform))
			switch {
			case repo != "" && len(d.ImageTags) > 0:
				ref.Name = repo + ":" + string(d.ImageTags[0])
			case repo != "" && digest != "":
				ref.Name = repo + "@" + digest
			}
		} else {
			assetref.AddID(&ref, model.IDImageDigest, digest)
		}
		assetref.AddID(&ref, model.IDARN, id)
	case "AWS_LAMBDA_FUNCTION":
		assetref.SetAttr(attrs, "service", "lambda")
		arn := unqualifiedLambdaARN(id)
		assetref.AddID(&ref, model.IDARN, arn)
		if d := r.Details.AwsLambdaFunction; d != nil {
			ref.Name = nonempty.First(string(d.FunctionName), arn)
			assetref.SetAttr(attrs, "runtime", string(d.Runtime))
		}
	default:
		if strings.HasPrefix(id, "arn:") {
			assetref.AddID(&ref, model.IDARN, id)
			if parts := strings.SplitN(id, ":", 4); len(parts) > 2 {
				assetref.SetAttr(attrs, "service", parts[2])
			}
		} else {
			assetref.AddID(&ref, model.IDCloudID, id)
		}
	}
	return ref
}

// unqualifiedLambdaARN drops the version or alias qualifier
// (":$LATEST", ":3") from a function ARN: findings on every version of a
// function belong to the one function other tools name without it.
func unqualifiedLambdaARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 7 && parts[2] == "lambda" && parts[5] == "function" {
		return strings.Join(parts[:7], ":")
	}
	return arn
}
