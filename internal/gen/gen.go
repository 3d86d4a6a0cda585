// Package gen writes realistic, fictional scanner reports in real formats
// (Nessus XML, Trivy JSON, Grype JSON, nmap XML, SARIF) for the demo and
// the ingest benchmarks. Output is deterministic for a seed.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Vuln is one vulnerability of the generator's catalogue.
type Vuln struct {
	CVE      string
	Severity string // Critical, High, Medium, Low
	Score    float64
	Vector   string
	Package  string
	Fixed    string
	Plugin   int
	Title    string
}

// Catalogue is a pool of vulnerabilities. Draws follow a Zipf law, so a few
// vulnerabilities are on most machines and many are rare, as in real estates.
type Catalogue struct {
	Vulns []Vuln
	zipf  *rand.Zipf
	rng   *rand.Rand
}

var packages = []string{"openssl", "libssl3", "glibc", "curl", "libcurl4", "zlib", "bash", "sudo", "openssh-server", "nginx",
	"apache2", "log4j-core", "jackson-databind", "spring-core", "lodash", "express", "django", "requests", "urllib3", "libxml2",
	"systemd", "linux-image", "python3.11", "nodejs", "busybox", "musl", "expat", "sqlite3", "git", "perl"}

var vectors = []struct {
	v     string
	score float64
	sev   string
}{
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "Critical"},
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "High"},
	{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "High"},
	{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "Medium"},
	{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "Medium"},
	{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", 2.5, "Low"},
	{"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "Low"},
}

// NewCatalogue makes n vulnerabilities from seed.
func NewCatalogue(seed uint64, n int) *Catalogue {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &Catalogue{rng: rng}
	for i := 0; i < n; i++ {
		vec := vectors[rng.IntN(len(vectors))]
		pkg := packages[rng.IntN(len(packages))]
		year := 2018 + rng.IntN(8)
		c.Vulns = append(c.Vulns, Vuln{
			CVE: fmt.Sprintf("CVE-%d-%d", year, 1000+rng.IntN(49000)), Severity: vec.sev, Score: vec.score, Vector: vec.v,
			Package: pkg, Fixed: fmt.Sprintf("%d.%d.%d", 1+rng.IntN(4), rng.IntN(20), 1+rng.IntN(30)),
			Plugin: 100000 + i, Title: fmt.Sprintf("%s: %s", pkg, flaws[rng.IntN(len(flaws))]),
		})
	}
	c.zipf = rand.NewZipf(rng, 1.15, 4, uint64(max(n-1, 1)))
	return c
}

var flaws = []string{"buffer overflow in the request parser", "use after free in session handling", "integer overflow in length check",
	"improper certificate validation", "denial of service through crafted input", "path traversal in archive extraction",
	"SQL injection in the admin filter", "out-of-bounds read in the decoder", "privilege escalation through a race condition",
	"information disclosure in error pages"}

// Draw returns k distinct vulnerabilities.
func (c *Catalogue) Draw(k int) []Vuln {
	k = min(k, len(c.Vulns))
	seen := make(map[uint64]bool, k)
	out := make([]Vuln, 0, k)
	for tries := 0; len(out) < k && tries < 50*k; tries++ {
		i := c.zipf.Uint64()
		if seen[i] {
			continue
		}
		seen[i] = true
		out = append(out, c.Vulns[i])
	}
	for i := 0; len(out) < k && i < len(c.Vulns); i++ {
		if !seen[uint64(i)] {
			seen[uint64(i)] = true
			out = append(out, c.Vulns[i])
		}
	}
	return out
}

// Host is a fictional machine.
type Host struct {
	Name string // short host name
	FQDN string
	IP   string
	OS   string
}

var oses = []string{"Ubuntu 22.04", "Ubuntu 20.04", "Debian 12", "Red Hat Enterprise Linux 9", "Windows Server 2019", "Windows Server 2022"}
var roles = []string{"web", "app", "db", "cache", "mq", "build", "jump", "mail", "dns", "file"}

// Hosts makes n hosts in 10.0.0.0/8.
func Hosts(seed uint64, n int, domain string) []Host {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]Host, n)
	for i := range out {
		name := fmt.Sprintf("%s%04d", roles[i%len(roles)], i)
		out[i] = Host{Name: name, FQDN: name + "." + domain, IP: fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255), OS: oses[rng.IntN(len(oses))]}
	}
	return out
}

// sevNumber maps a severity word to Nessus's 0-4 scale.
func sevNumber(s string) int {
	switch s {
	case "Critical":
		return 4
	case "High":
		return 3
	case "Medium":
		return 2
	case "Low":
		return 1
	}
	return 0
}

// round1 rounds to one decimal, for scores in reports.
func round1(f float64) float64 { return math.Round(f*10) / 10 }
