package ctemgeneric_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctemhq/ctem/internal/discover/formats/ctemgeneric"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// Helpers that keep the expected values below readable.

func id(k model.IdentifierKind, v string) model.Identifier {
	return model.Identifier{Kind: k, Value: v}
}

func asset(kind model.AssetKind, name string, attrs map[string]string, ids ...model.Identifier) report.AssetRef {
	return report.AssetRef{Kind: kind, Name: name, Identifiers: ids, Attributes: attrs}
}

func cvss(version, vector string, score float64) model.CVSS {
	return model.CVSS{Version: version, Vector: vector, Score: score}
}

var (
	web01 = asset(model.AssetHost, "web-01.corp.example.com", map[string]string{"os": "Debian 12"},
		id(model.IDFQDN, "web-01.corp.example.com"), id(model.IDIPv4, "10.0.4.21"), id(model.IDIPv4, "192.0.2.10"),
		id(model.IDMAC, "00:1a:2b:3c:4d:5e"))
	web01Short = asset(model.AssetHost, "web-01.corp.example.com", nil, id(model.IDFQDN, "web-01.corp.example.com"))
	portal     = asset(model.AssetWebApp, "Customer portal", nil, id(model.IDURL, "https://portal.example.com"))
	payments   = asset(model.AssetRepository, "https://github.com/example/payments", nil,
		id(model.IDRepoURL, "https://github.com/example/payments"))

	openSSLCVSS = cvss("3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", 7.4)
	openSSLRefs = []string{"https://nvd.nist.gov/vuln/detail/CVE-2023-0286", "https://www.openssl.org/news/secadv/20230207.txt"}
)

// exampleJSON is what testdata/example.json (the documentation's complete
// example) must produce.
var exampleJSON = struct {
	assets []report.AssetRef
	obs    []report.Observation
}{
	assets: []report.AssetRef{
		asset(model.AssetHost, "db-02.corp.example.com", map[string]string{"os": "Ubuntu 22.04", "environment": "production"},
			id(model.IDFQDN, "db-02.corp.example.com"), id(model.IDIPv4, "10.0.8.12")),
	},
	obs: []report.Observation{
		{
			Asset: web01, ToolID: "ACME-2023-0042", ToolSeverity: "high", Evidence: "dpkg: openssl 3.0.7-1 installed",
			Finding: model.Finding{
				Kind: model.KindVulnerability, Title: "OpenSSL X.400 address type confusion",
				Description: "A type confusion in X.400 address processing lets an attacker read memory or crash the process.",
				Severity:    model.SevHigh, VulnID: "CVE-2023-0286", Aliases: []string{"DSA-5343-1"}, CWEs: []int{843},
				CVSS: []model.CVSS{openSSLCVSS},
				Component: model.Component{Name: "openssl", Version: "3.0.7-1", FixedVersion: "3.0.8-1",
					PURL: "pkg:deb/debian/openssl@3.0.7-1?distro=debian-12", Ecosystem: "deb", Path: "/usr/lib/x86_64-linux-gnu/libssl.so.3"},
				Remediation: "Upgrade openssl to 3.0.8-1 or later.", References: openSSLRefs,
			},
		},
		{
			Asset: web01Short, ToolID: "open-port", ToolSeverity: "medium", Evidence: "SSH-2.0-OpenSSH_9.2p1 Debian-2",
			Finding: model.Finding{
				Kind: model.KindExposedService, Title: "SSH reachable from the internet", Severity: model.SevMedium,
				Location: model.Location{Port: 22, Protocol: "tcp", Service: "ssh"},
			},
		},
		{
			Asset: portal, ToolID: "xss-reflected", ToolSeverity: "high",
			Evidence: "GET /search?q=%3Cscript%3E returned the payload unescaped",
			Finding: model.Finding{
				Kind: model.KindWebWeakness, Title: "Reflected cross-site scripting", Severity: model.SevHigh,
				RuleID: "xss-reflected", CWEs: []int{79},
				Location: model.Location{URL: "https://portal.example.com/search?q=test", Method: "GET", Param: "q"},
			},
		},
		{
			Asset: payments, ToolID: "aws-access-key", ToolSeverity: "critical", Secret: "AKIAIOSFODNN7EXAMPLE",
			Finding: model.Finding{
				Kind: model.KindSecret, Title: "AWS access key in source code", Severity: model.SevCritical,
				RuleID: "aws-access-key", Location: model.Location{File: "config/settings.py", Line: 14},
			},
		},
		{
			Asset: payments, ToolID: "python.sqli.format-string", ToolSeverity: "medium", Anchor: "app/orders.py:get_order:sql-format",
			Finding: model.Finding{
				Kind: model.KindCodeWeakness, Title: "SQL query built from user input", Severity: model.SevMedium,
				RuleID: "python.sqli.format-string", CWEs: []int{89},
				Location: model.Location{File: "app/orders.py", Line: 88, EndLine: 91},
			},
		},
		{
			Asset: asset(model.AssetCloud, "prod-logs bucket", map[string]string{"account": "123456789012", "region": "eu-west-1"},
				id(model.IDARN, "arn:aws:s3:::prod-logs")),
			ToolID: "s3-bucket-public-read", ToolSeverity: "high",
			Finding: model.Finding{
				Kind: model.KindMisconfiguration, Title: "S3 bucket allows public read", Severity: model.SevHigh,
				RuleID: "s3-bucket-public-read", Location: model.Location{Resource: "arn:aws:s3:::prod-logs"},
				Remediation: "Turn on S3 Block Public Access for the bucket.",
			},
		},
		{
			Asset: asset(model.AssetImage, "registry.example.com/shop/api:1.4.2", nil,
				id(model.IDImageDigest, "sha256:3f1b6e8a9c0d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"),
				id(model.IDImageRef, "registry.example.com/shop/api:1.4.2")),
			ToolID: "CVE-2021-23337",
			Finding: model.Finding{
				Kind: model.KindVulnerability, Title: "lodash command injection via template",
				// No severity in the file: the CVSS score (7.2) rates it.
				Severity: model.SevHigh, VulnID: "CVE-2021-23337", Aliases: []string{"GHSA-35jh-r3h4-6jhm"},
				CVSS: []model.CVSS{cvss("3.1", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2)},
				Component: model.Component{Name: "lodash", Version: "4.17.20", FixedVersion: "4.17.21",
					PURL: "pkg:npm/lodash@4.17.20", Ecosystem: "npm", Path: "/app/node_modules/lodash/package.json"},
			},
		},
		{
			Asset:  asset(model.AssetIdentity, "svc-backup", nil, id(model.IDARN, "arn:aws:iam::123456789012:user/svc-backup")),
			ToolID: "iam-access-key-rotation", ToolSeverity: "medium",
			Finding: model.Finding{
				Kind: model.KindIdentityWeakness, Title: "Access key not rotated for 400 days", Severity: model.SevMedium,
				RuleID: "iam-access-key-rotation",
			},
		},
	},
}

var exampleCSV = struct {
	assets []report.AssetRef
	obs    []report.Observation
}{
	assets: []report.AssetRef{
		asset(model.AssetHost, "db-02.corp.example.com", map[string]string{"os": "Ubuntu 22.04"},
			id(model.IDFQDN, "db-02.corp.example.com"), id(model.IDIPv4, "10.0.8.12")),
	},
	obs: []report.Observation{
		{
			Asset: asset(model.AssetHost, "web-01.corp.example.com", map[string]string{"os": "Debian 12"},
				id(model.IDFQDN, "web-01.corp.example.com"), id(model.IDIPv4, "10.0.4.21"), id(model.IDIPv4, "192.0.2.10")),
			ToolID: "ACME-2023-0042", ToolSeverity: "high", Evidence: "dpkg: openssl 3.0.7-1 installed",
			Finding: model.Finding{
				Kind: model.KindVulnerability, Title: "OpenSSL X.400 address type confusion", Severity: model.SevHigh,
				VulnID: "CVE-2023-0286", CWEs: []int{843}, CVSS: []model.CVSS{openSSLCVSS},
				Component:   model.Component{Name: "openssl", Version: "3.0.7-1", FixedVersion: "3.0.8-1"},
				Remediation: "Upgrade openssl to 3.0.8-1 or later.", References: openSSLRefs,
			},
		},
		{
			Asset: web01Short, ToolID: "open-port", ToolSeverity: "medium", Evidence: "SSH-2.0-OpenSSH_9.2p1 Debian-2",
			Finding: model.Finding{
				Kind: model.KindExposedService, Title: "SSH reachable from the internet", Severity: model.SevMedium,
				Location: model.Location{Port: 22, Protocol: "tcp", Service: "ssh"},
			},
		},
		{
			Asset: portal, ToolID: "xss-reflected", ToolSeverity: "high",
			Evidence: "GET /search?q=%3Cscript%3E returned the payload unescaped",
			Finding: model.Finding{
				Kind: model.KindWebWeakness, Title: "Reflected cross-site scripting", Severity: model.SevHigh,
				RuleID: "xss-reflected", CWEs: []int{79},
				Location: model.Location{URL: "https://portal.example.com/search?q=test", Method: "GET", Param: "q"},
			},
		},
		{
			Asset: payments, ToolID: "python.sqli.format-string", ToolSeverity: "medium",
			Finding: model.Finding{
				Kind: model.KindCodeWeakness, Title: "SQL query built from user input", Severity: model.SevMedium,
				RuleID: "python.sqli.format-string", CWEs: []int{89},
				Location: model.Location{File: "app/orders.py", Line: 88},
			},
		},
	},
}

var (
	log4jAsset = asset(model.AssetPackage, "log4j-core", nil, id(model.IDName, "log4j-core"))
	log4jComp  = model.Component{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1",
		PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Ecosystem: "maven"}
	log4jV2      = cvss("2.0", "AV:N/AC:L/Au:N/C:C/I:C/A:C", 10)
	azureStorage = asset(model.AssetCloud, "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs", nil,
		id(model.IDCloudID, "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs"))
	paymentsByName = asset(model.AssetRepository, "payments", nil, id(model.IDName, "payments"))
	slack          = report.Observation{
		Asset: paymentsByName, ToolID: "slack-bot-token", ToolSeverity: "high",
		// The secret is redacted from the evidence it was pasted into.
		Evidence: `token = "[REDACTED]"`, Secret: "xoxb-123456789012-abcdefABCDEF",
		Finding: model.Finding{
			Kind: model.KindSecret, Title: "Slack token", Severity: model.SevHigh, RuleID: "slack-bot-token",
			Location: model.Location{File: "deploy/notify.sh", Line: 7},
		},
	}
	shop   = asset(model.AssetWebApp, "https://shop.example.com", nil, id(model.IDURL, "https://shop.example.com"))
	cspObs = report.Observation{
		Asset: shop, ToolID: "Missing Content-Security-Policy header", ToolSeverity: "Informational",
		Finding: model.Finding{
			Kind: model.KindWebWeakness, Title: "Missing Content-Security-Policy header", Severity: model.SevInfo,
			Location: model.Location{URL: "https://shop.example.com/cart", Method: "POST"},
		},
	}
	digestA  = id(model.IDImageDigest, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	zlibCVSS = cvss("3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)
)

var jwtKey = report.Observation{
	ToolID: "jwt-hardcoded-key", ToolSeverity: "high", Anchor: "auth/tokens.py:make_token:jwt-key",
	Finding: model.Finding{
		Kind: model.KindCodeWeakness, Title: "Hard-coded JWT signing key", Severity: model.SevHigh,
		RuleID: "jwt-hardcoded-key", CWEs: []int{321}, Location: model.Location{File: "auth/tokens.py", Line: 31},
	},
}

type fixture struct {
	file   string
	assets []report.AssetRef
	obs    []report.Observation
}

var fixtures = []fixture{
	{file: "example.json", assets: exampleJSON.assets, obs: exampleJSON.obs},
	{file: "example.csv", assets: exampleCSV.assets, obs: exampleCSV.obs},
	{
		file: "minimal.json",
		obs: []report.Observation{{
			Asset: asset(model.AssetHost, "build-07", nil, id(model.IDHostname, "build-07")), ToolID: "Root login over SSH is allowed",
			ToolSeverity: "medium",
			Finding:      model.Finding{Kind: model.KindMisconfiguration, Title: "Root login over SSH is allowed", Severity: model.SevMedium},
		}},
	},
	{
		file: "minimal.csv",
		obs: []report.Observation{{
			Asset: asset(model.AssetHost, "build-07", nil, id(model.IDHostname, "build-07")), ToolID: "Root login over SSH is allowed",
			ToolSeverity: "medium",
			Finding:      model.Finding{Kind: model.KindMisconfiguration, Title: "Root login over SSH is allowed", Severity: model.SevMedium},
		}},
	},
	{
		file: "assets_only.json",
		assets: []report.AssetRef{
			asset(model.AssetHost, "build-07", nil, id(model.IDHostname, "build-07"), id(model.IDIPv4, "10.0.9.7")),
			asset(model.AssetHost, "build-08", nil, id(model.IDHostname, "build-08"), id(model.IDIPv4, "10.0.9.8")),
		},
	},
	{
		file: "assets_only.csv",
		assets: []report.AssetRef{
			asset(model.AssetHost, "build-07", nil, id(model.IDHostname, "build-07"), id(model.IDIPv4, "10.0.9.7")),
			asset(model.AssetHost, "build-08", nil, id(model.IDHostname, "build-08"), id(model.IDIPv4, "10.0.9.8")),
		},
	},
	{
		// Findings without an asset go to the one named on the command line.
		file: "no_asset.json",
		obs:  []report.Observation{jwtKey},
	},
	{
		file: "no_asset.csv",
		obs:  []report.Observation{jwtKey},
	},
	{
		// Every finding kind and asset kind; keys out of order ("assets" and
		// "ctem" after "findings"); x- keys; inferred asset kinds; numbers
		// for strings; severity as a score, a tool word, from CVSS, absent.
		file: "every_kind.json",
		assets: []report.AssetRef{
			asset(model.AssetDomain, "example.org", nil, id(model.IDFQDN, "example.org")),
			asset(model.AssetPackage, "left-pad", nil, id(model.IDName, "left-pad")),
			asset(model.AssetHost, "2001:db8::1", nil, id(model.IDIPv6, "2001:db8::1")),
		},
		obs: []report.Observation{
			{
				Asset: log4jAsset, ToolID: "12345", ToolSeverity: "9.8",
				Finding: model.Finding{
					Kind: model.KindVulnerability, Title: "Log4Shell", Severity: model.SevCritical,
					VulnID: "CVE-2021-44228", Aliases: []string{"GHSA-jfh8-c2jp-5v3q"}, CWEs: []int{502, 20, 917, 400},
					CVSS: []model.CVSS{log4jV2,
						cvss("4.0", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3)},
					Component:  log4jComp,
					References: []string{"https://logging.apache.org/log4j/2.x/security.html"},
				},
			},
			{
				Asset: azureStorage, ToolID: "azure-storage-public-access", ToolSeverity: "Moderate",
				Finding: model.Finding{
					Kind: model.KindMisconfiguration, Title: "Storage account allows public blob access", Severity: model.SevMedium,
					RuleID: "azure-storage-public-access", Location: model.Location{Resource: "storageAccounts/logs"},
				},
			},
			slack,
			{
				Asset: paymentsByName, ToolID: "Use of MD5",
				Finding: model.Finding{
					Kind: model.KindCodeWeakness, Title: "Use of MD5", Severity: model.SevInfo,
					Location: model.Location{File: "lib/hash.go", Line: 12},
				},
			},
			{
				Asset: asset(model.AssetHost, "printer-3", map[string]string{"rack": "12"},
					id(model.IDHostname, "printer-3"), id(model.IDIPv4, "192.0.2.7"), id(model.IDMAC, "00:1a:2b:3c:4d:5f")),
				ToolID: "HTTP admin interface", ToolSeverity: "low",
				Finding: model.Finding{
					Kind: model.KindExposedService, Title: "HTTP admin interface", Severity: model.SevLow,
					Location: model.Location{Port: 8080, Protocol: "tcp", Service: "http"},
				},
			},
			cspObs,
			{
				Asset:  asset(model.AssetIdentity, "alice@example.com", map[string]string{"directory": "entra"}, id(model.IDName, "alice@example.com")),
				ToolID: "mfa-enrolled", ToolSeverity: "HIGH",
				Finding: model.Finding{
					Kind: model.KindIdentityWeakness, Title: "MFA not enrolled", Severity: model.SevHigh, RuleID: "mfa-enrolled",
				},
			},
			{
				Asset: asset(model.AssetImage, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil,
					digestA, id(model.IDImageID, "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")),
				ToolID: "CVE-2022-37434",
				Finding: model.Finding{
					Kind: model.KindVulnerability, Title: "zlib heap overflow", Severity: model.SevCritical,
					VulnID: "CVE-2022-37434", CVSS: []model.CVSS{zlibCVSS},
					Component: model.Component{Name: "zlib", Version: "1.2.12-r1", FixedVersion: "1.2.12-r2", Ecosystem: "apk"},
				},
			},
		},
	},
	{
		// Semicolon separated, with a byte-order mark, CRLF line ends, a
		// header in mixed case with spaces and dashes, attr_ and x_
		// columns, a row of empty cells, a multi-line quoted cell.
		file: "every_kind.csv",
		assets: []report.AssetRef{
			asset(model.AssetDomain, "example.org", nil, id(model.IDName, "example.org")),
		},
		obs: []report.Observation{
			{
				Asset: log4jAsset, ToolID: "CVE-2021-44228", ToolSeverity: "9.8",
				Finding: model.Finding{
					Kind: model.KindVulnerability, Title: "Log4Shell", Description: "Remote code execution\nthrough JNDI lookups.",
					Severity: model.SevCritical, VulnID: "CVE-2021-44228",
					Aliases: []string{"GHSA-7rjr-3q55-vv33", "GHSA-jfh8-c2jp-5v3q"}, CWEs: []int{502, 20},
					CVSS: []model.CVSS{log4jV2}, Component: log4jComp,
				},
			},
			{
				Asset: azureStorage, ToolID: "azure-storage-public-access", ToolSeverity: "moderate",
				Finding: model.Finding{
					Kind: model.KindMisconfiguration, Title: "Storage account allows public blob access", Severity: model.SevMedium,
					RuleID: "azure-storage-public-access",
				},
			},
			slack,
			{
				Asset: paymentsByName, ToolID: "Use of MD5", Anchor: "lib/hash.go:md5",
				Finding: model.Finding{
					Kind: model.KindCodeWeakness, Title: "Use of MD5", Severity: model.SevInfo,
					Location: model.Location{File: "lib/hash.go", Line: 12, EndLine: 14},
				},
			},
			{
				Asset: asset(model.AssetHost, "printer-3", map[string]string{"os": "PrinterOS 4"},
					id(model.IDHostname, "printer-3"), id(model.IDIPv4, "192.0.2.7"), id(model.IDIPv4, "192.0.2.8"),
					id(model.IDMAC, "00:1a:2b:3c:4d:5f")),
				ToolID: "HTTP admin interface", ToolSeverity: "low",
				Finding: model.Finding{
					Kind: model.KindExposedService, Title: "HTTP admin interface", Severity: model.SevLow,
					Location: model.Location{Port: 8080, Protocol: "tcp"},
				},
			},
			cspObs,
			{
				Asset:  asset(model.AssetImage, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil, digestA),
				ToolID: "CVE-2022-37434",
				Finding: model.Finding{
					Kind: model.KindVulnerability, Title: "zlib heap overflow", Severity: model.SevCritical,
					VulnID: "CVE-2022-37434", CVSS: []model.CVSS{zlibCVSS},
				},
			},
		},
	},
}

var cmpOpts = cmp.Options{cmpopts.EquateEmpty()}

func TestParseFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, ctemgeneric.New(), filepath.Join("testdata", fx.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fx.assets, rec.Assets, cmpOpts); diff != "" {
				t.Errorf("assets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(fx.obs, rec.Observations, cmpOpts); diff != "" {
				t.Errorf("observations (-want +got):\n%s", diff)
			}
		})
	}
}

// errorCases are the error fixtures and the exact message each gives. For
// JSON element errors the offset must point at the element's "{".
var errorCases = []struct {
	file string
	want string
}{
	{"asset_no_name.json", `input: byte 35: assets[0]: an asset needs a name or at least one identifier`},
	{"bad_asset_kind.json", `input: byte 35: assets[0].kind: unknown asset kind "server" (expected one of host, image, cloud_resource, repository, web_application, domain, identity, package)`},
	{"bad_cvss.json", `input: byte 40: findings[0].cvss[1]: CVSS 3.1 vector "CVSS:3.1/AV:X/AC:L": invalid metric value`},
	{"bad_cwe.json", `input: byte 37: findings[0].cwe: "XSS" is not a CWE id (write 79 or "CWE-79")`},
	{"bad_ipv4.json", `input: byte 37: findings[0].asset.identifiers.ipv4[1]: "db-01" is not an IPv4 address`},
	{"bad_port.json", `input: byte 37: findings[0].location.port: "70000" is not a whole number from 0 to 65535`},
	{"bad_purl.json", `input: byte 37: findings[0].component.purl: "npm/lodash@4" is not a package URL: purl scheme is not "pkg": "npm/lodash@4"`},
	{"bad_severity.json", `input: byte 174: findings[1].severity: unknown severity "urgentish" (expected critical, high, medium, low, info or a score from 0 to 10)`},
	{"bad_type.json", `input: byte 37: findings[0].title: expected a string, found an array`},
	{"duplicate_key.json", `input: byte 50: key "findings" appears twice`},
	{"missing_kind.json", `input: byte 37: findings[0].kind: missing (expected one of vulnerability, misconfiguration, secret, code_weakness, exposed_service, web_weakness, identity_weakness)`},
	{"missing_title.json", `input: byte 37: findings[0].title: missing (every finding needs a title)`},
	{"no_marker.json", `input: byte 0: missing the "ctem": "findings/v1" key that marks a ctem findings file`},
	{"not_object.json", `input: byte 37: findings[0]: expected an object, found a string`},
	{"top_array.json", `input: byte 1: expected a JSON object, found "["`},
	{"trailing.json", `input: byte 41: unexpected data after the JSON document`},
	{"truncated.json", `input: byte 94: invalid character '\n' in string literal`},
	{"unknown_asset_key.json", `input: byte 37: findings[0].asset.nmae: unknown key (expected one of kind, name, identifiers, attributes)`},
	{"unknown_identifier.json", `input: byte 37: findings[0].asset.identifiers.ip: unknown identifier (expected one of hostname, fqdn, ipv4, ipv6, mac, arn, cloud_id, image_digest, image_id, image_ref, repo_url, url)`},
	{"unknown_key.json", `input: byte 37: findings[0].titel: unknown key (expected one of asset, kind, id, title, description, severity, vuln_id, aliases, cwe, cvss, rule_id, component, location, remediation, references, evidence, anchor, secret)`},
	{"unknown_kind.json", `input: byte 37: findings[0].kind: unknown finding kind "vuln" (expected one of vulnerability, misconfiguration, secret, code_weakness, exposed_service, web_weakness, identity_weakness)`},
	{"unknown_top_key.json", `input: byte 33: unknown top-level key "finding" (expected ctem, source, assets, findings, or x-... for your own data)`},
	{"version_v2.json", `input: byte 22: ctem: unsupported version "findings/v2" (this ctem reads "findings/v1")`},

	{"asset_row_bad.csv", `input:2:1: asset_kind: unknown asset kind "server" (expected one of host, image, cloud_resource, repository, web_application, domain, identity, package)`},
	{"bad_attr.csv", `input:1:1: the header names no asset: add asset_name or an identifier column (hostname, fqdn, ipv4, ipv6, mac, arn, cloud_id, image_digest, image_id, image_ref, repo_url, url)`},
	{"bad_cvss.csv", `input:2:24: cvss: CVSS 3.1 vector "CVSS:3.1/AV:N": base metric AC is not defined`},
	{"bad_ipv4.csv", `input:2:8: ipv4: "10.0.0.256" is not an IPv4 address`},
	{"bad_quote.csv", `input:2:19: bare " in non-quoted-field`},
	{"bad_severity.csv", `input:3:17: severity: unknown severity "urgentish" (expected critical, high, medium, low, info or a score from 0 to 10)`},
	{"duplicate_column.csv", `input:1:29: column "asset_name" appears twice (columns 2 and 4)`},
	{"field_count.csv", `input:2:38: the row has 6 fields but the header has 5 (quote values that contain the separator)`},
	{"missing_kind.csv", `input:2:8: kind: missing (expected one of vulnerability, misconfiguration, secret, code_weakness, exposed_service, web_weakness, identity_weakness)`},
	{"missing_title.csv", `input:3:15: title: missing (a row with finding columns needs a title; leave them all empty for an asset without findings)`},
	{"partial_asset.csv", `input:2:6: asset_name: an asset needs a name or at least one identifier`},
	{"no_asset_column.csv", `input:1:1: the header names no asset: add asset_name or an identifier column (hostname, fqdn, ipv4, ipv6, mac, arn, cloud_id, image_digest, image_id, image_ref, repo_url, url)`},
	{"no_asset_kind.csv", `input:1:1: the header has no asset_kind column`},
	{"unknown_column.csv", `input:1:29: unknown column "sevrity" (see docs/generic-format.md for the column names; start your own columns with x_)`},
}

// elementError matches the JSON errors about one array element.
var elementError = regexp.MustCompile(`^input: byte (\d+): (findings|assets)\[\d+\]`)

func TestErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(errorCases) {
		t.Errorf("%d error fixtures but %d cases: every fixture needs its expected message", len(files), len(errorCases))
	}
	for _, tc := range errorCases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "errors", tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = reporttest.ParseFile(t, ctemgeneric.New(), path)
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want a ParseError, got %v (%T)", err, err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n got %s\nwant %s", got, tc.want)
			}
			if m := elementError.FindStringSubmatch(tc.want); m != nil {
				var off int
				fmt.Sscan(m[1], &off)
				if off >= len(data) || data[off] != '{' && data[off] != '"' {
					t.Errorf("offset %d does not point at the element", off)
				}
			}
			if pe.Offset < 0 && pe.Line == 0 {
				t.Errorf("error has no position: %+v", pe)
			}
		})
	}
}

// TestTruncated cuts every fixture short: each prefix either parses
// or fails with a positioned ParseError, never a panic.
func TestTruncated(t *testing.T) {
	for _, fx := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", fx.file))
		if err != nil {
			t.Fatal(err)
		}
		// Every cut in the first KiB, then every third byte: enough to cut
		// inside every kind of token, and quick on a busy machine.
		for n := 0; n < len(data); n += 1 + 2*min(n/1024, 1) {
			err := parseBytes(data[:n], &reporttest.Recorder{})
			if err == nil {
				if strings.HasSuffix(fx.file, ".json") && len(bytes.TrimSpace(data[n:])) > 0 {
					t.Fatalf("%s cut at %d: a truncated JSON document parsed", fx.file, n)
				}
				continue
			}
			checkParseError(t, fmt.Sprintf("%s cut at %d", fx.file, n), err)
		}
	}
}

func TestGarbage(t *testing.T) {
	for _, in := range []string{
		"", "   \n\t", "\xef\xbb\xbf", "{", "[", "null", "42", `"ctem"`, "{}",
		`{"ctem": 1}`, `{"ctem": "other"}`, `{"ctem": "findings/v1", "findings": {}}`,
		`{"ctem": "findings/v1", "findings": [1, 2]}`, `{"ctem": "findings/v1", "assets": "x"}`,
		`{"ctem": "findings/v1", "source": ["a"]}`, "\x00\x01\x02\xff", "title,asset_kind\n\"",
		"<?xml version=\"1.0\"?><root/>",
	} {
		err := parseBytes([]byte(in), &reporttest.Recorder{})
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		checkParseError(t, fmt.Sprintf("%q", in), err)
	}
}

func parseBytes(data []byte, sink report.Sink) error {
	return ctemgeneric.New().Parse(context.Background(), bytes.NewReader(data), sink)
}

// position matches the place a ParseError prints; it must appear once.
var position = regexp.MustCompile(`input(: byte \d+|:\d+:\d+)`)

func checkParseError(t *testing.T, what string, err error) {
	t.Helper()
	var pe *report.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: error is not a ParseError: %v (%T)", what, err, err)
	}
	if pe.Offset < 0 && pe.Line == 0 {
		t.Fatalf("%s: error has no position: %v", what, err)
	}
	if len(position.FindAllString(err.Error(), -1)) > 1 {
		t.Fatalf("%s: position repeated in %q", what, err)
	}
}

type failingSink struct{ err error }

func (s failingSink) Asset(report.AssetRef) error      { return s.err }
func (s failingSink) Observe(report.Observation) error { return s.err }

func TestSinkErrorStops(t *testing.T) {
	boom := errors.New("store is down")
	for _, file := range []string{"example.json", "example.csv", "assets_only.json", "assets_only.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := parseBytes(data, failingSink{boom}); !errors.Is(err, boom) {
			t.Errorf("%s: got %v, want the sink's error", file, err)
		}
	}
}

func TestContextCanceled(t *testing.T) {
	var js, cs strings.Builder
	js.WriteString(`{"ctem": "findings/v1", "findings": [`)
	cs.WriteString("asset_kind,hostname,kind,title\n")
	for i := range 2000 {
		if i > 0 {
			js.WriteString(",")
		}
		fmt.Fprintf(&js, `{"asset": {"kind": "host", "identifiers": {"hostname": "h%d"}}, "kind": "exposed_service", "title": "t"}`, i)
		fmt.Fprintf(&cs, "host,h%d,exposed_service,t\n", i)
	}
	js.WriteString("]}")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, in := range []string{js.String(), cs.String()} {
		rec := &reporttest.Recorder{}
		err := ctemgeneric.New().Parse(ctx, strings.NewReader(in), rec)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if len(rec.Observations) >= 2000 {
			t.Errorf("parsed everything despite the cancelled context")
		}
	}
}

func TestDetect(t *testing.T) {
	f := ctemgeneric.New()
	for _, fx := range fixtures {
		head := reporttest.Head(t, filepath.Join("testdata", fx.file))
		want := 100
		if strings.HasSuffix(fx.file, ".csv") {
			want = 90
		}
		if got := f.Detect(head); got != want {
			t.Errorf("%s: Detect = %d, want %d", fx.file, got, want)
		}
	}
	for _, tc := range []struct {
		name, head string
		want       int
	}{
		{"marker after a short findings array", `{"findings": [{"a": [1, {"b": 2}]}], "ctem": "findings/v1"}`, 100},
		{"marker with a BOM", "\xef\xbb\xbf  {\"ctem\": \"findings/v1\"", 100},
		{"future version", `{"ctem": "findings/v2"}`, 100},
		{"no marker", `{"findings": []}`, 0},
		{"nested marker", `{"data": {"ctem": "findings/v1"}}`, 0},
		{"marker of something else", `{"ctem": "assets/v1"}`, 0},
		{"marker not a string", `{"ctem": 1}`, 0},
		{"array", `[{"ctem": "findings/v1"}]`, 0},
		{"csv without asset_kind", "title,severity,description\n", 0},
		{"defectdojo generic csv", "Date,Title,CweId,Url,Severity,Description,Mitigation,Impact,References,Active,Verified\n", 0},
		{"csv semicolons", "Asset Kind;Title\nhost;x\n", 90},
		{"empty", "", 0},
		{"xml", `<?xml version="1.0"?><title asset_kind="x"/>`, 0},
	} {
		if got := f.Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("%s: Detect = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestDetectOthers runs Detect on every corpus file of every other tool:
// none may be claimed.
func TestDetectOthers(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := ctemgeneric.New()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Dir(path) == dir {
			return err
		}
		n++
		if s := f.Detect(reporttest.Head(t, path)); s != 0 {
			rel, _ := filepath.Rel(dir, path)
			t.Errorf("%s: Detect = %d, want 0", rel, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no corpus files")
	}
}

func TestMetadata(t *testing.T) {
	f := ctemgeneric.New()
	if f.Name() != "ctem" || f.Version() != 1 || f.Description() != "ctem generic findings (JSON or CSV)" {
		t.Errorf("metadata: %q %d %q", f.Name(), f.Version(), f.Description())
	}
}

// The documentation's examples are kept true by parsing them: every fenced
// block that follows a <!-- testdata/NAME --> marker must be that fixture,
// byte for byte, and every error message the documentation quotes must be
// one the error fixtures produce.

const docPath = "../../../../docs/generic-format.md"

var (
	docExample = regexp.MustCompile("(?s)<!-- (testdata/[^ ]+) -->\n```[a-z]*\n(.*?)```\n")
	docText    = regexp.MustCompile("(?s)```text\n(.*?)```")
)

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDocExamples(t *testing.T) {
	doc := readDoc(t)
	found := map[string]bool{}
	for _, m := range docExample.FindAllStringSubmatch(doc, -1) {
		name, block := m[1], m[2]
		found[name] = true
		want, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Errorf("the documentation shows %s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(string(want), block); diff != "" {
			t.Errorf("docs/generic-format.md's block for %s differs from the file (-file +doc):\n%s", name, diff)
		}
	}
	for _, name := range []string{"testdata/example.json", "testdata/example.csv", "testdata/minimal.json", "testdata/minimal.csv", "testdata/assets_only.json", "testdata/assets_only.csv"} {
		if !found[name] {
			t.Errorf("docs/generic-format.md does not show %s", name)
		}
	}
	// Each shown example is also a fixture with asserted content.
	for name := range found {
		ok := false
		for _, fx := range fixtures {
			ok = ok || "testdata/"+fx.file == name
		}
		if !ok {
			t.Errorf("%s is in the documentation but not in the fixtures table", name)
		}
	}
}

func TestDocErrors(t *testing.T) {
	known := map[string]bool{}
	for _, tc := range errorCases {
		known[tc.want] = true
	}
	n := 0
	for _, m := range docText.FindAllStringSubmatch(readDoc(t), -1) {
		for _, line := range strings.Split(m[1], "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			n++
			if !known[line] {
				t.Errorf("the documentation quotes an error no fixture gives:\n%s", line)
			}
		}
	}
	if n == 0 {
		t.Error("no error examples found in the documentation")
	}
}
