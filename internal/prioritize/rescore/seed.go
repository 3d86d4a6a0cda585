package rescore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/gen"
	"github.com/ctemhq/ctem/internal/store"
)

// SeedSpec describes a generated estate for the rescoring benchmark.
type SeedSpec struct {
	Assets           int    // hosts
	FindingsPerAsset int    // open findings per host
	Vulns            int    // size of the CVE catalogue (Zipf draws)
	Seed             uint64 // deterministic output per seed
}

// SeedResult says what Seed wrote.
type SeedResult struct {
	Assets   int
	Findings int
	Vulns    []string // the catalogue's distinct CVE ids
}

// rawDB is what Seed needs of a store: its SQL handle (sqlstore.Store has it).
type rawDB interface {
	Writer() *sql.DB
	Dialect() string
}

// Seed writes a generated estate straight into the database with bulk
// INSERTs — assets with business context, scope membership, threat intel
// for a CVE catalogue, and open findings drawn from it with a Zipf law (a
// few CVEs on most hosts), about 10 % of them misconfigurations without a
// CVE. It bypasses the import pipeline, which the ingest benchmark measures:
// here only the rows matter. The store must be empty and migrated.
func Seed(ctx context.Context, st store.Store, spec SeedSpec) (SeedResult, error) {
	db, ok := st.(rawDB)
	if !ok {
		return SeedResult{}, fmt.Errorf("seed: store %T has no SQL handle", st)
	}
	if spec.Vulns <= 0 {
		spec.Vulns = 5000
	}
	w := &bulkWriter{db: db.Writer(), pg: db.Dialect() == "postgres"}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return SeedResult{}, err
	}
	defer tx.Rollback()
	w.tx = tx
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5eed))
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var res SeedResult

	// Threat intel for the catalogue.
	cat := gen.NewCatalogue(spec.Seed+1, spec.Vulns)
	seen := map[string]bool{}
	epssDay := at.AddDate(0, 0, -1)
	err = w.insert(ctx, "vuln_intel", []string{"vuln_id", "kev", "kev_date_added", "kev_ransomware", "epss", "epss_percentile", "epss_model",
		"epss_date", "cvss", "ssvc_exploitation", "ssvc_automatable", "ssvc_technical_impact", "exploit_refs", "updated_at"},
		func(emit func(...any)) {
			for _, v := range cat.Vulns {
				if seen[v.CVE] {
					continue
				}
				seen[v.CVE] = true
				res.Vulns = append(res.Vulns, v.CVE)
				kev := rng.IntN(50) == 0
				var added any
				if kev {
					added = at.AddDate(0, -rng.IntN(24), 0)
				}
				p := rng.Float64()
				epss := p * p * p * p
				var ex, au, ti string
				if rng.IntN(3) == 0 {
					ex = []string{"none", "poc", "active"}[rng.IntN(3)]
					au = []string{"yes", "no"}[rng.IntN(2)]
					ti = []string{"partial", "total"}[rng.IntN(2)]
				}
				refs := "[]"
				if rng.IntN(10) == 0 {
					refs = `["https://www.exploit-db.com/exploits/` + strconv.Itoa(40000+rng.IntN(10000)) + `"]`
				}
				emit(v.CVE, kev, added, kev && rng.IntN(3) == 0, epss, p, "v2025.03.14", epssDay,
					cvssJSON(v), ex, au, ti, refs, at)
			}
		})
	if err != nil {
		return res, fmt.Errorf("seed intel: %w", err)
	}

	// Hosts, about 10 % internet-facing, a few crown jewels; scopes.
	hosts := gen.Hosts(spec.Seed+2, spec.Assets, "corp.example")
	var prod, pci []int64
	err = w.insert(ctx, "assets", []string{"id", "kind", "name", "attributes", "tags", "criticality", "internet_exposed", "owner",
		"crown_jewel", "context", "first_seen", "last_seen"},
		func(emit func(...any)) {
			for i, h := range hosts {
				id := int64(i + 1)
				attrs, _ := json.Marshal(map[string]string{"os": h.OS, "fqdn": h.FQDN, "ip": h.IP})
				env := "prod"
				if i%3 == 2 {
					env = "dev"
				} else {
					prod = append(prod, id)
				}
				if i%20 == 0 {
					pci = append(pci, id)
				}
				tags := `{"env":"` + env + `"}`
				if i%20 == 0 {
					tags = `{"env":"` + env + `","pci":"true"}`
				}
				emit(id, "host", h.FQDN, string(attrs), tags, rng.IntN(6), rng.IntN(10) == 0, "",
					rng.IntN(50) == 0, "[]", at.AddDate(0, -6, 0), at)
			}
		})
	if err != nil {
		return res, fmt.Errorf("seed assets: %w", err)
	}
	res.Assets = len(hosts)
	err = w.insert(ctx, "scope_members", []string{"scope", "asset_id"}, func(emit func(...any)) {
		for _, id := range prod {
			emit("prod", id)
		}
		for _, id := range pci {
			emit("pci", id)
		}
	})
	if err != nil {
		return res, fmt.Errorf("seed scopes: %w", err)
	}

	// Descriptive texts, stored once each: one per catalogue entry and one
	// for the misconfiguration.
	misconfig := store.FindingText{Title: "SSH server allows weak key exchange algorithms",
		Description: "The remote SSH server is configured to allow key exchange algorithms that are considered weak.",
		Remediation: "Disable the weak algorithms in sshd_config.", References: "[]"}
	vulnText := func(v gen.Vuln) store.FindingText {
		return store.FindingText{Title: v.Title,
			Description: "The remote host is affected by " + v.CVE + ": " + v.Title + ". An attacker could exploit it to compromise the host.",
			Remediation: "Upgrade " + v.Package + " to " + v.Fixed + " or later.", References: `["https://nvd.nist.gov/vuln/detail/` + v.CVE + `"]`}
	}
	textIDs := map[store.FindingText]int64{}
	err = w.insert(ctx, "finding_texts", []string{"id", "digest", "title", "description", "remediation", "refs"}, func(emit func(...any)) {
		add := func(t store.FindingText) {
			if _, ok := textIDs[t]; !ok {
				textIDs[t] = int64(len(textIDs) + 1)
				emit(textIDs[t], t.Digest(), t.Title, t.Description, t.Remediation, t.References)
			}
		}
		add(misconfig)
		for _, v := range cat.Vulns {
			add(vulnText(v))
		}
	})
	if err != nil {
		return res, fmt.Errorf("seed finding texts: %w", err)
	}

	// Findings.
	var id int64
	err = w.insert(ctx, "findings", []string{"id", "asset_id", "fingerprint", "fkey", "origin_asset_id", "source", "content_hash", "kind",
		"text_id", "severity", "vuln_id", "cvss", "cvss_score", "rule_id", "component", "package", "location",
		"status", "first_seen", "last_seen", "validation", "updated_at"},
		func(emit func(...any)) {
			for i := range hosts {
				asset := int64(i + 1)
				keys := map[string]int{}
				for _, v := range cat.Draw(spec.FindingsPerAsset) {
					id++
					// A finding is unique by asset and key; a vulnerability
					// drawn twice for one host is a second copy of the
					// package (another path), as scanners report it.
					key := v.CVE + "|" + v.Package
					if n := keys[key]; n > 0 {
						key += "|copy" + strconv.Itoa(n)
					}
					keys[v.CVE+"|"+v.Package]++
					fp := fmt.Sprintf("%016x", uint64(id)*0x9e3779b97f4a7c15)
					validation := "unknown"
					switch rng.IntN(40) {
					case 0:
						validation = "exploitable"
					case 1:
						validation = "refuted"
					}
					first := at.AddDate(0, 0, -rng.IntN(365))
					if rng.IntN(10) == 0 {
						emit(id, asset, fp, "misconfig|"+fp, asset, "nessus", fp, "misconfiguration", textIDs[misconfig],
							[]string{"high", "medium", "low"}[rng.IntN(3)], "", "[]", 0.0, strconv.Itoa(70000+rng.IntN(500)), "{}", "",
							`{"port":22,"protocol":"tcp","service":"ssh"}`,
							"open", first, at, validation, at)
						continue
					}
					comp := fmt.Sprintf(`{"name":%q,"version":"0.%d.%d","fixed_version":%q}`, v.Package, rng.IntN(9), rng.IntN(30), v.Fixed)
					emit(id, asset, fp, key, asset, "nessus", fp, "vulnerability", textIDs[vulnText(v)],
						strings.ToLower(v.Severity), v.CVE, cvssJSON(v), v.Score, strconv.Itoa(v.Plugin), comp, v.Package, `{"port":0,"protocol":"tcp"}`,
						"open", first, at, validation, at)
				}
			}
		})
	if err != nil {
		return res, fmt.Errorf("seed findings: %w", err)
	}
	res.Findings = int(id)
	if err := tx.Commit(); err != nil {
		return res, err
	}
	// Identity sequences past the explicit ids, and planner statistics, as
	// a long-lived database has them.
	after := []string{"ANALYZE"}
	if w.pg {
		after = []string{
			"SELECT setval(pg_get_serial_sequence('assets', 'id'), (SELECT MAX(id) FROM assets))",
			"SELECT setval(pg_get_serial_sequence('findings', 'id'), (SELECT MAX(id) FROM findings))",
			"SELECT setval(pg_get_serial_sequence('finding_texts', 'id'), (SELECT MAX(id) FROM finding_texts))",
			"ANALYZE findings, finding_texts, assets, vuln_intel, scope_members",
		}
	}
	for _, q := range after {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return res, fmt.Errorf("seed: %w", err)
		}
	}
	return res, nil
}

func cvssJSON(v gen.Vuln) string {
	return fmt.Sprintf(`[{"version":"3.1","vector":%q,"score":%.1f}]`, v.Vector, v.Score)
}

// bulkWriter inserts rows with multi-row VALUES statements.
type bulkWriter struct {
	db *sql.DB
	tx *sql.Tx
	pg bool
}

func (w *bulkWriter) insert(ctx context.Context, table string, cols []string, rows func(emit func(...any))) error {
	per := max(1, 30000/len(cols))
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	var args []any
	var err error
	flush := func() {
		n := len(args) / len(cols)
		if n == 0 || err != nil {
			return
		}
		st, ok := stmts[n]
		if !ok {
			if st, err = w.tx.PrepareContext(ctx, w.insertSQL(table, cols, n)); err != nil {
				return
			}
			stmts[n] = st
		}
		_, err = st.ExecContext(ctx, args...)
		args = args[:0]
	}
	rows(func(vals ...any) {
		args = append(args, vals...)
		if len(args) >= per*len(cols) {
			flush()
		}
	})
	flush()
	return err
}

func (w *bulkWriter) insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			if w.pg {
				p++
				b.WriteString("$" + strconv.Itoa(p))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
