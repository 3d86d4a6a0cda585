package formats_test

// exception is a corpus file for which ctem deliberately differs from the
// peer platform whose own test suite the manifest records.
type exception struct {
	format string // the format ctem reads the file as, when not its folder's
	count  int    // ctem's number of findings
	reason string
}

// Reasons shared by several files.
const (
	passedChecks = "passed, resolved or mitigated results are not findings; ctem reports their assets as covered, so the lifecycle closes earlier findings"
	perAsset     = "the peer merges one check across hosts or ports into one finding; ctem keeps one finding per asset, check and port (each is fixed on its own)"
	multiCVE     = "one check listing several CVEs is one finding with the other CVEs as aliases, not one finding per CVE"
)

// exceptions: corpus file -> what ctem does instead. docs/formats.md
// repeats this table for users; TestManifest fails when an entry no longer
// differs or no longer holds.
var exceptions = map[string]exception{
	"aws_inspector2/aws_inspector2_many_vul.json":  {count: 7, reason: "finding[0] has status CLOSED: " + passedChecks},
	"aws_prowler/issue4450.csv":                    {count: 3, reason: "one PASS row: " + passedChecks},
	"aws_prowler/many_vuln2.csv":                   {count: 35, reason: "172 PASS/INFO rows dropped (" + passedChecks + "); the 42 FAIL rows hold 35 distinct (check, region, message) results"},
	"awssecurityhub/config_many_findings.json":     {count: 0, reason: "all controls PASSED: " + passedChecks},
	"awssecurityhub/config_repeated_findings.json": {count: 0, reason: "the control PASSED: " + passedChecks},
	"awssecurityhub/inspector_ec2_cve.json":        {count: 2, reason: "five copies of CVE-2022-3643 in one kernel package on two instances: one finding per (instance, CVE, package)"},
	"generic/generic_report3.csv":                  {count: 0, reason: "both rows are IsMitigated: " + passedChecks},
	"generic/generic_report3.json":                 {count: 3, reason: "two findings are is_mitigated (" + passedChecks + "); one finding has two web-application endpoints, one finding on each"},
	"generic/generic_report4.json":                 {count: 4, reason: "one finding with four endpoints: one finding on each endpoint's asset"},
	"kubescape/many_findings.json":                 {count: 289, reason: "one finding per failed control per object, as Kubescape counts; the peer makes one per failed rule (control CIS-5.7.3 fails 5 rules on each of 15 workloads)"},
	"nexpose/dns.xml":                              {count: 7, reason: perAsset + "; no synthetic \"Host Up\" finding"},
	"nexpose/many_vulns.xml":                       {count: 55, reason: perAsset + "; no synthetic \"Host Up\" finding"},
	"nexpose/report_auth.xml":                      {count: 14, reason: perAsset + "; no synthetic \"Host Up\" finding"},
	"nmap/issue12411.xml":                          {count: 4, reason: "the peer keys open ports by port number alone, merging ports 80 and 443 of two different hosts"},
	"nuclei/many_findings.json":                    {count: 18, reason: "the peer merges by host name, so 127.0.0.1:8080 (WebGoat) and 127.0.0.1:9090 (WebWolf) collapse; they are two web applications"},
	"qualys/Qualys_Sample_Report.csv":              {count: 6, reason: perAsset},
	"qualys_vmdr/many_vulns_cve.csv":               {count: 4, reason: "the FIXED row is not a finding: " + passedChecks},
	"qualys_vmdr/many_vulns_qid.csv":               {count: 4, reason: "the FIXED row is not a finding: " + passedChecks},
	"tenable/issue_11102.csv":                      {count: 3, reason: "Tenable.sc export without a Host column: the peer merges different IPs on the same port"},
	"tenable/issue_9612.csv":                       {count: 3, reason: "Tenable.sc export without a Host column: the peer merges different IPs on the same port"},
	"tenable/nessus/nessus_many_vuln.xml":          {count: 7, reason: "\"Nessus SYN scanner\" reports ports 443 and 264 on one host: two exposed services"},
	"tenable/nessus/nessus_v_unknown.xml":          {count: 296, reason: "the peer keys .nessus results by severity and title only, merging a plugin across 7 hosts and all ports; " + perAsset},
	"testssl/defectdojo_many_vuln.csv":             {count: 94, reason: "one name scanned on four addresses is one host (one finding per host, port and check); the peer also counts per-address text variants and testssl engine problems"},
	"testssl/defectdojo_one_vuln.csv":              {count: 0, reason: "engine_problem concerns testssl's local OpenSSL, not the target: no finding"},
	"testssl/failed_target.csv":                    {count: 0, reason: "scanProblem/FATAL is a failed connection: no finding and no coverage, so earlier findings are not wrongly fixed"},
	"testssl/many_cves.csv":                        {count: 1, reason: multiCVE},
	"testssl/overall_critical.csv":                 {count: 143, reason: multiCVE + " (two rows carry two CVEs each)"},
	"tfsec/many_findings_current.json":             {count: 11, reason: "tfsec reports one rule twice on each of two ACL rules (their from_port and to_port lines): one finding per rule and resource"},
	"trivy/all_statuses.json":                      {count: 7, reason: "a vulnerability with status not_affected (the vendor's VEX says the package is not affected) is not a finding"},
	"wiz/multiple_findings.csv":                    {count: 97, reason: "the RESOLVED row is not a finding: " + passedChecks},
	"wiz/resolved_findings.csv":                    {count: 0, reason: "all three rows RESOLVED: " + passedChecks},

	"osv_scanner/many_findings.json":           {count: 37, reason: "OSV-Scanner groups the records of one vulnerability from several databases (a GHSA with its PYSEC twin) and counts each group once; so does ctem"},
	"semgrep/sca-deployments-vulns.json":       {count: 22, reason: "the 22 results are in 22 repositories; the peer merges equal title/path/line across repositories, ctem keeps one per repository asset"},
	"snyk/all_projects_issue4277.json":         {count: 49, reason: "one finding per (vulnerability, package, version), not per dependency path; the licence issues are not exposures"},
	"snyk/single_project_upgrade_libs.json":    {count: 52, reason: "254 dependency paths lead to 52 distinct vulnerable package versions: one finding each, the paths in the evidence"},
	"snyk/snykcontainer_issue_9270.json":       {count: 30, reason: "one finding per installed binary package (as Trivy and Grype count), plus the 12 of the npm application inside the image, which the peer ignores"},
	"snyk/snykcontainer_issue_epss.json":       {count: 13, reason: "the 12 findings of the npm application inside the image, which the peer ignores, besides the image's one"},
	"snyk_code/single_project_many_vulns.json": {count: 205, reason: "two results share rule, file, line and both Snyk fingerprints (one flow reported at two columns): one finding"},
	"trivy_operator/cis_benchmark.json":        {count: 522, reason: "exact repeats, and one check listed under several CIS controls: one finding per (check, Kubernetes object), the controls named in the evidence"},

	// Files the peer's parser refuses, which ctem reads as what they are.
	"govulncheck/issue_15033_sarif.json": {format: "sarif", count: 3, reason: "a SARIF log: the peer's govulncheck parser refuses it; ctem detects SARIF and reads its results"},
	"npm_audit/many_vuln_npm7.json":      {format: "npm_audit_7_plus", count: 15, reason: "an npm 7+ audit report: the peer's npm_audit parser refuses it; ctem detects the npm 7+ format and reads it"},
	"snyk/snykcode_issue_9270.json":      {format: "snyk_code", count: 39, reason: "a Snyk Code SARIF log in the peer's snyk folder: ctem's snyk_code format reads it"},
}

// undetectable lists corpus files with nothing to detect (empty files,
// bare [] or null): any format could have written them. Users name the
// format (--format); the tests do the same.
var undetectable = map[string]string{
	"aws_prowler/no_vuln.json":             "empty file",
	"aws_prowler_v3plus/no_vuln.json":      "[]",
	"aws_prowler_v3plus/no_vuln.ocsf.json": "[]",
	"prowler/prowler_zero_vul.json":        "[ ]",
	"trufflehog3/zero_vulns.json":          "[]",
	"nuclei/empty.jsonl":                   "empty file",
	"nuclei/no_findings.json":              "empty file",
	"osv_scanner/no_findings.json":         "empty file",
	"govulncheck/empty.json":               "empty file",
	"gitleaks/no_findings.json":            "null (also Trivy's legacy empty report)",
	"aws_inspector2/empty_with_error.json": "{}",
	"semgrep/empty.json":                   `{"results": [], "errors": []}: keys many tools use`,
	"generic/generic_empty.json":           `{"findings": [{}]}: nothing names the tool`,
}

// detailExceptions lists files whose asserted severities deliberately
// differ from the peer's.
var detailExceptions = map[string]string{
	"govulncheck/many_vulns.json":             "severity from reachability: a called vulnerable symbol is high (the peer's old parser says info)",
	"govulncheck/many_vulns_new_version.json": "severity from reachability: a called vulnerable symbol is high",
	"osv_scanner/some_findings.json":          "a package flagged malicious (MAL- id) is critical, not low",
	"trufflehog3/many_vulns_legacy.json":      "an entropy-only match, unverified, is medium",
	"trufflehog3/many_vulns2_legacy.json":     "an entropy-only match, unverified, is medium",
}
