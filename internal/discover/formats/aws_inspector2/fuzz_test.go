package awsinspector2_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/aws_inspector2"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"{\"findings\":[{\"findingArn\":\"a\",\"type\":\"PACKAGE_VULNERABILITY\",\"status\":\"ACTIVE\",\"severity\":\"HIGH\",\"resources\":[{\"type\":\"AWS_EC2_INSTANCE\",\"id\":\"i-1\",\"region\":\"r\",\"details\":{\"awsEc2Instance\":{\"ipV4Addresses\":[\"10.0.0.1\"]}}}],\"packageVulnerabilityDetails\":{\"vulnerabilityId\":\"CVE-2020-1\",\"vulnerablePackages\":[{\"name\":\"p\",\"version\":\"1\",\"epoch\":1}]}}]}",
		"{\"findings\":[{\"findingArn\":\"b\",\"type\":\"NETWORK_REACHABILITY\",\"resources\":[{\"type\":\"AWS_LAMBDA_FUNCTION\",\"id\":\"arn:aws:lambda:r:1:function:f:1\"}],\"networkReachabilityDetails\":{\"openPortRange\":{\"begin\":22,\"end\":22},\"protocol\":\"TCP\"}}]}",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "aws_inspector2")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "aws_inspector2", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := awsinspector2.New()
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
