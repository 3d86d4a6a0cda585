// Package formats lists every report format ctem reads, in one explicit
// registry (no init() registration). The order breaks ties in detection:
// specific formats come before the general ones they resemble (Snyk Code
// before SARIF), and the generic formats come last.
package formats

import (
	"github.com/ctemhq/ctem/internal/discover/report"

	"github.com/ctemhq/ctem/internal/discover/formats/acunetix"
	"github.com/ctemhq/ctem/internal/discover/formats/anchore_grype"
	"github.com/ctemhq/ctem/internal/discover/formats/asff"
	"github.com/ctemhq/ctem/internal/discover/formats/aws_inspector2"
	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler"
	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler_v3plus"
	"github.com/ctemhq/ctem/internal/discover/formats/awssecurityhub"
	"github.com/ctemhq/ctem/internal/discover/formats/burp"
	"github.com/ctemhq/ctem/internal/discover/formats/burp_api"
	"github.com/ctemhq/ctem/internal/discover/formats/burp_dastardly"
	"github.com/ctemhq/ctem/internal/discover/formats/burp_suite_dast"
	"github.com/ctemhq/ctem/internal/discover/formats/checkov"
	"github.com/ctemhq/ctem/internal/discover/formats/ctemgeneric"
	"github.com/ctemhq/ctem/internal/discover/formats/cyclonedx"
	"github.com/ctemhq/ctem/internal/discover/formats/dependency_check"
	"github.com/ctemhq/ctem/internal/discover/formats/generic"
	"github.com/ctemhq/ctem/internal/discover/formats/gitleaks"
	"github.com/ctemhq/ctem/internal/discover/formats/govulncheck"
	"github.com/ctemhq/ctem/internal/discover/formats/kubescape"
	"github.com/ctemhq/ctem/internal/discover/formats/ms_defender"
	"github.com/ctemhq/ctem/internal/discover/formats/nexpose"
	"github.com/ctemhq/ctem/internal/discover/formats/nikto"
	"github.com/ctemhq/ctem/internal/discover/formats/nmap"
	"github.com/ctemhq/ctem/internal/discover/formats/npm_audit"
	"github.com/ctemhq/ctem/internal/discover/formats/npm_audit_7_plus"
	"github.com/ctemhq/ctem/internal/discover/formats/nuclei"
	"github.com/ctemhq/ctem/internal/discover/formats/openvas"
	"github.com/ctemhq/ctem/internal/discover/formats/osv_scanner"
	"github.com/ctemhq/ctem/internal/discover/formats/prowler"
	"github.com/ctemhq/ctem/internal/discover/formats/qualys"
	"github.com/ctemhq/ctem/internal/discover/formats/qualys_vmdr"
	"github.com/ctemhq/ctem/internal/discover/formats/qualys_webapp"
	"github.com/ctemhq/ctem/internal/discover/formats/sarif"
	"github.com/ctemhq/ctem/internal/discover/formats/scout_suite"
	"github.com/ctemhq/ctem/internal/discover/formats/semgrep"
	"github.com/ctemhq/ctem/internal/discover/formats/snyk"
	"github.com/ctemhq/ctem/internal/discover/formats/snyk_code"
	"github.com/ctemhq/ctem/internal/discover/formats/sslyze"
	"github.com/ctemhq/ctem/internal/discover/formats/tenable"
	"github.com/ctemhq/ctem/internal/discover/formats/testssl"
	"github.com/ctemhq/ctem/internal/discover/formats/tfsec"
	"github.com/ctemhq/ctem/internal/discover/formats/trivy"
	"github.com/ctemhq/ctem/internal/discover/formats/trivy_operator"
	"github.com/ctemhq/ctem/internal/discover/formats/trufflehog"
	"github.com/ctemhq/ctem/internal/discover/formats/trufflehog3"
	"github.com/ctemhq/ctem/internal/discover/formats/wiz"
	"github.com/ctemhq/ctem/internal/discover/formats/wizcli_dir"
	"github.com/ctemhq/ctem/internal/discover/formats/wizcli_iac"
	"github.com/ctemhq/ctem/internal/discover/formats/wizcli_img"
	"github.com/ctemhq/ctem/internal/discover/formats/zap"
)

// All returns a new instance of every format.
func All() []report.Format {
	return []report.Format{
		snykcode.New(),
		trivyoperator.New(),
		acunetix.New(),
		anchoregrype.New(),
		asff.New(),
		awsinspector2.New(),
		awsprowler.New(),
		awsprowlerv3plus.New(),
		awssecurityhub.New(),
		burp.New(),
		burpapi.New(),
		burpdastardly.New(),
		burpsuitedast.New(),
		checkov.New(),
		cyclonedx.New(),
		dependencycheck.New(),
		gitleaks.New(),
		govulncheck.New(),
		kubescape.New(),
		msdefender.New(),
		nexpose.New(),
		nikto.New(),
		nmap.New(),
		npmaudit.New(),
		npmaudit7plus.New(),
		nuclei.New(),
		openvas.New(),
		osvscanner.New(),
		prowler.New(),
		qualys.New(),
		qualysvmdr.New(),
		qualyswebapp.New(),
		scoutsuite.New(),
		semgrep.New(),
		snyk.New(),
		sslyze.New(),
		tenable.New(),
		testssl.New(),
		tfsec.New(),
		trivy.New(),
		trufflehog.New(),
		trufflehog3.New(),
		wiz.New(),
		wizclidir.New(),
		wizcliiac.New(),
		wizcliimg.New(),
		zap.New(),
		sarif.New(),
		ctemgeneric.New(),
		generic.New(),
	}
}

// Registry returns the registry of all formats.
func Registry() (*report.Registry, error) { return report.NewRegistry(All()...) }
