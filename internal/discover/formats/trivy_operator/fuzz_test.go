package trivyoperator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/trivy_operator"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"apiVersion\":\"aquasecurity.github.io/v1alpha1\",\"kind\":\"VulnerabilityReport\",\"metadata\":{\"labels\":{\"trivy-operator.resource.kind\":\"ReplicaSet\",\"trivy-operator.resource.name\":\"n\",\"trivy-operator.resource.namespace\":\"default\",\"trivy-operator.container.name\":\"c\"},\"name\":\"x\"},\"report\":{\"artifact\":{\"repository\":\"library/nginx\",\"tag\":\"alpine\",\"digest\":\"sha256:aa\"},\"registry\":{\"server\":\"index.docker.io\"},\"os\":{\"family\":\"alpine\",\"name\":\"3.17\"},\"vulnerabilities\":[{\"vulnerabilityID\":\"CVE-2023-23914\",\"resource\":\"curl\",\"installedVersion\":\"7.87.0-r1\",\"fixedVersion\":\"7.87.0-r2\",\"severity\":\"CRITICAL\",\"title\":\"t\",\"primaryLink\":\"https://avd.aquasec.com/nvd/cve-2023-23914\",\"score\":4.2,\"packageType\":\"alpine\",\"class\":\"os-pkgs\"}]}}"))
	f.Add([]byte("[{\"apiVersion\":\"aquasecurity.github.io/v1alpha1\",\"kind\":\"ConfigAuditReport\",\"metadata\":{\"labels\":{\"trivy-operator.resource.kind\":\"ReplicaSet\",\"trivy-operator.resource.name\":\"n\",\"trivy-operator.resource.namespace\":\"default\"}},\"report\":{\"checks\":[{\"checkID\":\"KSV014\",\"title\":\"Root\",\"severity\":\"LOW\",\"success\":false,\"messages\":[\"m\"]}]}}]"))
	f.Add([]byte("{\"apiVersion\":\"aquasecurity.github.io/v1alpha1\",\"kind\":\"ClusterComplianceReport\",\"spec\":{\"compliance\":{\"id\":\"cis\",\"controls\":[{\"id\":\"1.1\",\"checks\":[{\"id\":\"AVD-KCV-0001\"}],\"severity\":\"HIGH\"}]}},\"status\":{\"summary\":{\"failCount\":1},\"detailReport\":{\"id\":\"cis\",\"results\":[{\"id\":\"1.1\",\"severity\":\"HIGH\",\"checks\":[{\"checkID\":\"AVD-KSV-0001\",\"severity\":\"\",\"success\":false,\"target\":\"kube-system/daemonset-x\"}]}]},\"summaryReport\":{\"controlCheck\":[{\"id\":\"1.1\",\"severity\":\"HIGH\",\"totalFail\":1}]}}}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "trivy_operator", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		trivyoperator.New().Detect(in)
		err := trivyoperator.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
