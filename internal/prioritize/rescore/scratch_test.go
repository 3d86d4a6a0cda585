package rescore

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/store/sqlite"
)

func TestScratchSeed(t *testing.T) {
	path := os.Getenv("SCRATCH_DB")
	if path == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	res, err := Seed(ctx, st, SeedSpec{Assets: 20000, FindingsPerAsset: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d findings %d assets %d vulns in %v", res.Findings, res.Assets, len(res.Vulns), time.Since(start))
}

func TestScratchExp(t *testing.T) {
	path := os.Getenv("SCRATCH_DB2")
	if path == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := st.Writer()
	_ = r
	ro, _ := sqlOpenRO(path)
	timeit := func(name string, fn func() error) {
		s := time.Now()
		if err := fn(); err != nil {
			t.Fatal(name, err)
		}
		t.Logf("%s: %v", name, time.Since(s))
	}
	for _, q := range []string{
		"EXPLAIN QUERY PLAN SELECT id FROM findings WHERE status IN ('open','reopened') AND id > 5 ORDER BY id LIMIT 5000",
		"EXPLAIN QUERY PLAN SELECT id FROM findings WHERE +status IN ('open','reopened') AND id > 5 ORDER BY id LIMIT 5000",
		"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM findings WHERE status IN ('open','reopened') AND policy_version <> 'x'",
	} {
		rows, _ := ro.Query(q)
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			t.Log(q[:60], d)
		}
		rows.Close()
	}
	timeit("count stale", func() error {
		var n int
		err := ro.QueryRow("SELECT COUNT(*) FROM findings WHERE status IN ('open','reopened') AND policy_version <> 'x'").Scan(&n)
		t.Log(n)
		return err
	})
	timeit("count stale2", func() error {
		var n int
		err := ro.QueryRow("SELECT COUNT(*) FROM findings WHERE status IN ('open','reopened') AND policy_version <> 'x'").Scan(&n)
		t.Log(n)
		return err
	})
	timeit("narrow stream", func() error {
		rows, err := ro.Query("SELECT id, asset_id, kind, severity, vuln_id, cvss, validation, priority_band, priority_score, policy_version, owner, decided_at, sla_due FROM findings WHERE +status IN ('open','reopened') ORDER BY id")
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, asset, score int64
			var kind, sev, vuln, cvss, val, band, pol, owner string
			var dec, due any
			if err := rows.Scan(&id, &asset, &kind, &sev, &vuln, &cvss, &val, &band, &score, &pol, &owner, &dec, &due); err != nil {
				return err
			}
			n++
		}
		t.Log(n)
		return rows.Err()
	})
	timeit("narrow paged", func() error {
		var after int64
		n := 0
		for {
			rows, err := ro.Query("SELECT id, asset_id, kind, severity, vuln_id, cvss, validation, priority_band, priority_score, policy_version, owner, decided_at, sla_due FROM findings WHERE +status IN ('open','reopened') AND id > ? ORDER BY id LIMIT 10000", after)
			if err != nil {
				return err
			}
			k := 0
			for rows.Next() {
				var id, asset, score int64
				var kind, sev, vuln, cvss, val, band, pol, owner string
				var dec, due any
				if err := rows.Scan(&id, &asset, &kind, &sev, &vuln, &cvss, &val, &band, &score, &pol, &owner, &dec, &due); err != nil {
					return err
				}
				after = id
				n++
				k++
			}
			rows.Close()
			if k == 0 {
				break
			}
		}
		t.Log(n)
		return nil
	})
}

func TestScratchWrite(t *testing.T) {
	path := os.Getenv("SCRATCH_DB3")
	if path == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := st.Writer()
	n := 200000
	expl := strings.Repeat("x", envInt("EXPL", 0))
	now := time.Now().UTC()
	due := now.AddDate(0, 0, 30)
	mode := os.Getenv("MODE")
	batch := envInt("BATCH", 500)
	for _, pr := range strings.Split(os.Getenv("PRAGMAS"), ";") {
		if pr != "" {
			if _, err := w.Exec("PRAGMA " + pr); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := time.Now()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "prep":
		stmt, err := tx.Prepare("UPDATE findings SET priority_band = ?, priority_score = ?, priority_explanation = ?, policy_version = ?, decided_at = ?, sla_due = ?, owner = ? WHERE id = ?")
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			if _, err := stmt.Exec("P2", 500+i%100, expl, "ctem-default/1", now, due, "", int64(i)); err != nil {
				t.Fatal(err)
			}
		}
	case "values":
		q := "UPDATE findings SET priority_band = v.column2, priority_score = v.column3, priority_explanation = v.column4, policy_version = ?, decided_at = ?, sla_due = v.column5, owner = v.column6 FROM (VALUES "
		for i := 0; i < batch; i++ {
			if i > 0 {
				q += ", "
			}
			q += "(?, ?, ?, ?, ?, ?)"
		}
		q += ") AS v WHERE findings.id = v.column1"
		stmt, err := tx.Prepare(q)
		if err != nil {
			t.Fatal(err)
		}
		args := make([]any, 0, 2+6*batch)
		for lo := 1; lo <= n; lo += batch {
			args = append(args[:0], "ctem-default/1", now)
			for i := lo; i < lo+batch; i++ {
				args = append(args, int64(i), "P2", 500+i%100, expl, due, "")
			}
			if _, err := stmt.Exec(args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("commit at %v", time.Since(s))
	if os.Getenv("CKPT") != "" {
		w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	t.Logf("%s batch %d expl %d: %d updates in %v", mode, batch, len(expl), n, time.Since(s))
}

func envInt(k string, d int) int {
	if v := os.Getenv(k); v != "" {
		n, _ := strconv.Atoi(v)
		return n
	}
	return d
}
