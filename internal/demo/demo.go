// Package demo runs ctem end to end on a fictional organization: it writes
// the reports its tools would produce (Nessus, nmap, Trivy, Grype, CodeQL
// SARIF and a package inventory), imports two weeks of scans and prints
// what ctem made of them.
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/gen"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// Org is the fictional organization's estate and what its tools find.
type Org struct {
	Hosts    []gen.Host
	DMZ      int // the first DMZ hosts face the internet
	Images   []gen.Image
	Repos    []string
	hostVuln [][]gen.Vuln
	imgVuln  [][]gen.Vuln
	cat      *gen.Catalogue
}

// NewOrg builds Acme Shop's estate, the same for the same seed.
func NewOrg(seed uint64) *Org {
	o := &Org{cat: gen.NewCatalogue(seed, 400), DMZ: 6,
		Hosts:  gen.Hosts(seed, 30, "acme.example"),
		Images: gen.Images(8, "registry.acme.example"),
		Repos:  []string{"https://github.com/acme/shop-web", "https://github.com/acme/payments", "https://github.com/acme/inventory"}}
	for range o.Hosts {
		o.hostVuln = append(o.hostVuln, o.cat.Draw(12))
	}
	for range o.Images {
		o.imgVuln = append(o.imgVuln, o.cat.Draw(15))
	}
	// A few real, exploited vulnerabilities (in CISA's KEV catalog), where
	// they would hurt most and least: threat intel should lift them.
	o.hostVuln[0][5] = gen.Vuln{CVE: "CVE-2014-0160", Severity: "High", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
		Package: "openssl", Fixed: "1.0.1g", Plugin: 73412, Title: "OpenSSL Heartbeat information disclosure (Heartbleed)"}
	o.hostVuln[6][5] = gen.Vuln{CVE: "CVE-2019-0708", Severity: "Critical", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		Package: "termdd", Fixed: "KB4499175", Plugin: 125313, Title: "Remote Desktop Services remote code execution (BlueKeep)"}
	o.hostVuln[9][5] = gen.Vuln{CVE: "CVE-2017-0144", Severity: "High", Score: 8.1, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
		Package: "srv", Fixed: "MS17-010", Plugin: 97833, Title: "SMBv1 remote code execution (EternalBlue)"}
	o.imgVuln[2][0] = gen.Vuln{CVE: "CVE-2021-44228", Severity: "Critical", Score: 10.0, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
		Package: "log4j-core", Fixed: "2.15.0", Plugin: 156014, Title: "Apache Log4j remote code execution (Log4Shell)"}
	return o
}

// Week is one week's set of report files, in import order.
type Week struct {
	Name  string
	Files []string
}

// WriteReports writes two weeks of reports under dir.
func (o *Org) WriteReports(dir string) ([]Week, error) {
	w1, w2, w3 := filepath.Join(dir, "week1"), filepath.Join(dir, "week2"), filepath.Join(dir, "week3")
	for _, d := range []string{w1, w2, w3} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	var weeks [3]Week
	weeks[0].Name, weeks[1].Name, weeks[2].Name = "week 1", "week 2", "week 3"
	write := func(week int, path string, fn func(io.Writer) error) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		weeks[week].Files = append(weeks[week].Files, path)
		return f.Close()
	}
	// A network scan of the DMZ sees addresses and open ports only.
	if err := write(0, filepath.Join(w1, "dmz-nmap.xml"), func(w io.Writer) error {
		return gen.WriteNmap(w, o.Hosts[:o.DMZ], map[int]string{22: "ssh", 80: "http", 443: "https"})
	}); err != nil {
		return nil, err
	}
	if err := write(0, filepath.Join(w1, "nessus-weekly.nessus"), func(w io.Writer) error {
		return gen.WriteNessus(w, gen.NessusSpec{Hosts: o.Hosts, Findings: func(i int) []gen.Vuln { return o.hostVuln[i] }})
	}); err != nil {
		return nil, err
	}
	if err := write(0, filepath.Join(w1, "package-inventory.json"), func(w io.Writer) error { return o.writeInventory(w, 0) }); err != nil {
		return nil, err
	}
	for i, img := range o.Images {
		vulns := o.imgVuln[i]
		if err := write(0, filepath.Join(w1, fmt.Sprintf("trivy-%d.json", i)), func(w io.Writer) error { return gen.WriteTrivy(w, img, vulns) }); err != nil {
			return nil, err
		}
		// Grype finds most of what Trivy finds, and a little more.
		extra := append(append([]gen.Vuln{}, vulns[:12]...), o.cat.Vulns[len(o.cat.Vulns)-1-i])
		if err := write(0, filepath.Join(w1, fmt.Sprintf("grype-%d.json", i)), func(w io.Writer) error { return gen.WriteGrype(w, img, extra) }); err != nil {
			return nil, err
		}
	}
	for i, repo := range o.Repos {
		issues := codeIssues(i)
		if err := write(0, filepath.Join(w1, fmt.Sprintf("codeql-%d.sarif", i)), func(w io.Writer) error { return gen.WriteSARIF(w, repo, issues) }); err != nil {
			return nil, err
		}
	}
	// Week 2: the patch cycle fixed the first three issues of every host,
	// and the DMZ got a new exposure (remote desktop).
	if err := write(1, filepath.Join(w2, "nessus-weekly.nessus"), func(w io.Writer) error {
		return gen.WriteNessus(w, gen.NessusSpec{Hosts: o.Hosts, Findings: func(i int) []gen.Vuln { return o.hostVuln[i][3:] }})
	}); err != nil {
		return nil, err
	}
	// The inventory agent sees the upgraded packages too.
	if err := write(1, filepath.Join(w2, "package-inventory.json"), func(w io.Writer) error { return o.writeInventory(w, 3) }); err != nil {
		return nil, err
	}
	if err := write(1, filepath.Join(w2, "dmz-nmap.xml"), func(w io.Writer) error {
		return gen.WriteNmap(w, o.Hosts[:o.DMZ], map[int]string{22: "ssh", 80: "http", 443: "https", 3389: "ms-wbt-server"})
	}); err != nil {
		return nil, err
	}
	// Week 3: a rollback on the first web server brought a fixed issue back.
	if err := write(2, filepath.Join(w3, "nessus-weekly.nessus"), func(w io.Writer) error {
		return gen.WriteNessus(w, gen.NessusSpec{Hosts: o.Hosts, Findings: func(i int) []gen.Vuln {
			if i == 0 {
				return append([]gen.Vuln{o.hostVuln[0][0]}, o.hostVuln[0][3:]...)
			}
			return o.hostVuln[i][3:]
		}})
	}); err != nil {
		return nil, err
	}
	return weeks[:], nil
}

// writeInventory is a package-inventory agent's report in ctem's generic
// format: for the first ten hosts, the first three vulnerable packages that
// Nessus also finds, from the skip-th on, named by FQDN only.
func (o *Org) writeInventory(w io.Writer, skip int) error {
	var b strings.Builder
	b.WriteString(`{"ctem": "findings/v1", "source": "package-inventory", "assets": [`)
	for i, h := range o.Hosts[:10] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"kind": "host", "identifiers": {"fqdn": %q}}`, h.FQDN)
	}
	b.WriteString(`], "findings": [`)
	n := 0
	for i, h := range o.Hosts[:10] {
		for _, v := range o.hostVuln[i][skip:3] {
			if n > 0 {
				b.WriteString(",\n")
			}
			n++
			fmt.Fprintf(&b, `{"asset": {"kind": "host", "identifiers": {"fqdn": %q}}, "kind": "vulnerability", "title": %q, "vuln_id": %q, "severity": %q, "cvss": [%q], "component": {"name": %q, "version": "0.9.1", "fixed_version": %q}}`,
				h.FQDN, v.Title, v.CVE, strings.ToLower(v.Severity), v.Vector, v.Package, v.Fixed)
		}
	}
	b.WriteString("]}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func codeIssues(repo int) []gen.CodeIssue {
	all := []gen.CodeIssue{
		{Rule: "py/sql-injection", Title: "SQL query built from user-controlled sources", File: "app/orders/db.py", Snippet: `cur.execute("SELECT * FROM orders WHERE id=" + order_id)`, Line: 41, CWE: 89, Severity: 8.8},
		{Rule: "py/path-injection", Title: "Uncontrolled data used in path expression", File: "app/files/views.py", Snippet: "open(os.path.join(BASE, request.args['name']))", Line: 17, CWE: 22, Severity: 7.5},
		{Rule: "py/weak-cryptographic-algorithm", Title: "Use of a broken or weak cryptographic algorithm", File: "app/auth/tokens.py", Snippet: "hashlib.md5(secret).hexdigest()", Line: 9, CWE: 327, Severity: 7.5},
		{Rule: "py/reflective-xss", Title: "Reflected server-side cross-site scripting", File: "app/search/views.py", Snippet: "return '<h1>' + q + '</h1>'", Line: 23, CWE: 79, Severity: 6.1},
		{Rule: "py/clear-text-logging-sensitive-data", Title: "Clear-text logging of sensitive information", File: "app/payments/client.py", Snippet: "log.info('card %s', card_number)", Line: 66, CWE: 312, Severity: 7.5},
	}
	return all[repo%2 : repo%2+4]
}

// ConfigYAML is Acme Shop's ctem.yaml: scopes, crown jewels, zones, a
// control, teams and owners.
//
//go:embed ctem.yaml
var ConfigYAML []byte

// Run imports the reports, calls apply (ctem.yaml's context and the
// priorities), and prints the summary.
// explain gives the one-line reason of a finding's priority.
func Run(ctx context.Context, p *discover.Pipeline, dir string, w io.Writer, apply func(context.Context) error, explain func(context.Context, int64) (string, error)) error {
	org := NewOrg(42)
	weeks, err := org.WriteReports(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ctem demo — Acme Shop: %d hosts (%d in the DMZ), %d container images, %d code repositories\n", len(org.Hosts), org.DMZ, len(org.Images), len(org.Repos))
	fmt.Fprintf(w, "reports written to %s\n\n", dir)
	done, err := imported(ctx, p.Store, dir)
	if err != nil {
		return err
	}
	if done {
		fmt.Fprintf(w, "this database already holds the demo's imports: showing it as it is (use --db with a new file for a fresh run)\n")
		if err := apply(ctx); err != nil {
			return err
		}
		return summarize(ctx, p.Store, nil, w, explain)
	}
	var merges []discover.AssetEvent
	// Each week is imported at its own time, a week apart, ending now.
	now := p.Now
	defer func() { p.Now = now }()
	for i, wk := range weeks {
		at := now().Add(-time.Duration(len(weeks)-1-i) * 7 * 24 * time.Hour)
		p.Now = func() time.Time { return at }
		var c model.ImportCounts
		for _, f := range wk.Files {
			res, err := p.ImportFile(ctx, f, discover.Options{})
			if err != nil {
				return err
			}
			for _, r := range res {
				add(&c, r.Import.Counts)
				for _, e := range r.Assets {
					if e.Action == "merged" {
						merges = append(merges, e)
					}
				}
			}
		}
		fmt.Fprintf(w, "%s: imported %d reports — %d findings: %d new, %d unchanged, %d updated, %d fixed, %d reopened; %d also reported by another tool\n",
			wk.Name, len(wk.Files), c.Findings, c.New, c.Unchanged, c.Updated, c.Fixed, c.Reopened, c.Correlated)
	}
	if err := apply(ctx); err != nil {
		return err
	}
	return summarize(ctx, p.Store, merges, w, explain)
}

func add(a *model.ImportCounts, b model.ImportCounts) {
	a.Findings += b.Findings
	a.New += b.New
	a.Unchanged += b.Unchanged
	a.Updated += b.Updated
	a.Fixed += b.Fixed
	a.Reopened += b.Reopened
	a.Correlated += b.Correlated
}

func summarize(ctx context.Context, st store.Store, merges []discover.AssetEvent, w io.Writer, explain func(context.Context, int64) (string, error)) error {
	assets, err := st.ListAssets(ctx, store.AssetFilter{})
	if err != nil {
		return err
	}
	byKind := map[model.AssetKind]int{}
	for _, a := range assets {
		byKind[a.Kind]++
	}
	fmt.Fprintf(w, "\nassets: %d —", len(assets))
	for _, k := range model.AssetKinds {
		if byKind[k] > 0 {
			fmt.Fprintf(w, " %s %d", k, byKind[k])
		}
	}
	fmt.Fprintln(w)
	for _, m := range merges {
		fmt.Fprintf(w, "  merged: asset %d (%s) into %d by rule %s\n", m.From, m.Name, m.AssetID, m.Rule)
	}

	all, err := st.ListFindings(ctx, store.FindingFilter{AllStatus: true})
	if err != nil {
		return err
	}
	bySource := map[string]int{}
	byStatus := map[model.Status]int{}
	bySev := map[model.Severity]int{}
	multi := 0
	var open []model.Finding
	for _, f := range all {
		byStatus[f.Status]++
		for _, s := range f.Sources {
			bySource[s]++
		}
		if len(f.Sources) > 1 {
			multi++
		}
		if f.Status.IsActive() {
			bySev[f.Severity]++
			open = append(open, f)
		}
	}
	fmt.Fprintf(w, "findings: %d —", len(all))
	for _, s := range model.Statuses {
		if byStatus[s] > 0 {
			fmt.Fprintf(w, " %s %d", s, byStatus[s])
		}
	}
	fmt.Fprintln(w)
	var sources []string
	for s := range bySource {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	fmt.Fprint(w, "present detections by source:")
	for _, s := range sources {
		fmt.Fprintf(w, " %s %d", s, bySource[s])
	}
	fmt.Fprintf(w, "\nmerged across tools: %d findings are reported by two or more tools (one finding, several detections)\n", multi)
	fmt.Fprint(w, "open by severity:")
	for _, s := range model.Severities {
		fmt.Fprintf(w, " %s %d", s, bySev[s])
	}
	fmt.Fprintln(w)
	byBand := map[string]int{}
	for _, f := range open {
		byBand[f.Priority.Band]++
	}
	fmt.Fprint(w, "open by priority band (ctem's policy: threat, exposure, asset value):")
	for _, b := range []string{"P0", "P1", "P2", "P3", "P4"} {
		fmt.Fprintf(w, " %s %d", b, byBand[b])
	}
	fmt.Fprintln(w)

	sort.SliceStable(open, func(i, j int) bool {
		a, b := open[i], open[j]
		if a.Priority.Score != b.Priority.Score {
			return a.Priority.Score > b.Priority.Score
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if sa, sb := maxCVSS(a), maxCVSS(b); sa != sb {
			return sa > sb
		}
		if len(a.Sources) != len(b.Sources) {
			return len(a.Sources) > len(b.Sources)
		}
		return a.ID < b.ID
	})
	fmt.Fprintln(w, "\ntop 10 open findings:")
	for i, f := range open[:min(10, len(open))] {
		band := firstNonEmpty(f.Priority.Band, "-")
		why := ""
		if explain != nil && f.Priority.Band != "" {
			if r, err := explain(ctx, f.ID); err == nil {
				why = r
			}
		}
		fmt.Fprintf(w, "%3d. %s %4d [%s] %s on %s — %s\n", i+1, band, f.Priority.Score, f.Severity, firstNonEmpty(f.VulnID, f.RuleID), f.AssetName, reason(f, why))
	}
	fmt.Fprintln(w, "\nnext: ctem findings list | ctem findings explain ID | ctem assets explain ID | ctem scopes list | ctem serve")
	return nil
}

func maxCVSS(f model.Finding) float64 {
	best := 0.0
	for _, c := range f.CVSS {
		best = max(best, c.Score)
	}
	return best
}

func reason(f model.Finding, why string) string {
	var parts []string
	if why != "" {
		parts = append(parts, why)
	}
	if s := maxCVSS(f); s > 0 {
		parts = append(parts, fmt.Sprintf("CVSS %.1f", s))
	}
	if f.Component.Name != "" {
		parts = append(parts, "in "+f.Component.Name)
	}
	parts = append(parts, "seen by "+strings.Join(f.Sources, " and "))
	if f.Status == model.StatusReopened {
		parts = append(parts, "came back after a fix")
	}
	if !f.FirstSeen.IsZero() {
		parts = append(parts, "open since "+f.FirstSeen.Format(time.DateOnly))
	}
	return strings.Join(parts, ", ")
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// imported reports whether the demo's reports were imported already.
func imported(ctx context.Context, st store.Store, dir string) (bool, error) {
	after := int64(0)
	for {
		imps, err := st.ListImports(ctx, store.Page{After: after, Limit: 500})
		if err != nil {
			return false, err
		}
		for _, im := range imps {
			if strings.HasPrefix(im.File, dir+string(filepath.Separator)) {
				return true, nil
			}
			after = im.ID
		}
		if len(imps) < 500 {
			return false, nil
		}
	}
}
