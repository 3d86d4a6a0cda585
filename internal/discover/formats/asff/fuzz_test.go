package asff_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/asff"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"x\",\"ProductArn\":\"arn:aws:securityhub:eu-west-1::product/aws/inspector\",\"AwsAccountId\":\"123456789012\",\"Title\":\"CVE-2020-1 - p\",\"Severity\":{\"Label\":\"HIGH\"},\"Resources\":[{\"Type\":\"AwsEc2Instance\",\"Id\":\"arn:aws:ec2:eu-west-1:123456789012:i-1\",\"Details\":{\"AwsEc2Instance\":{\"IpV4Addresses\":[\"10.0.0.1\"]}}}],\"Vulnerabilities\":[{\"Id\":\"CVE-2020-1\",\"VulnerablePackages\":[{\"Name\":\"p\",\"Version\":\"1\",\"Epoch\":0}],\"Cvss\":[{\"BaseVector\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}]}]}]",
		"[{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"y\",\"ProductArn\":\"p\",\"Compliance\":{\"Status\":\"FAILED\"},\"Resources\":[{\"Type\":\"AwsEcrContainerImage\",\"Id\":\"arn:aws:ecr:r:1:repository/a/sha256:00\",\"Details\":{\"AwsEcrContainerImage\":{\"RepositoryName\":\"a\",\"ImageTags\":[\"t\"]}}}]}]",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "asff")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "asff", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := asff.New()
		_ = p.Detect(data)
		err := p.Parse(context.Background(), bytes.NewReader(data), &reporttest.Recorder{})
		if err == nil {
			return
		}
		var pe *report.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error is not a ParseError: %v", err)
		}
	})
}
