package prioritize

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// benchInputs is a fixed, varied population of inputs: KEV and non-KEV
// CVEs, EPSS across the thresholds, SSVC present or derived from CVSS,
// non-CVE kinds, controls.
func benchInputs(n int) []Input {
	r := rand.New(rand.NewPCG(1, 2))
	asOf := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	vectors := []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
		"",
	}
	kinds := []string{"vulnerability", "vulnerability", "vulnerability", "secret", "misconfiguration", "code_weakness", "exposed_service"}
	sevs := []string{"critical", "high", "medium", "low", "info"}
	out := make([]Input, n)
	for i := range out {
		in := Input{AsOf: asOf}
		in.Finding = Finding{Kind: kinds[r.IntN(len(kinds))], Severity: sevs[r.IntN(len(sevs))], VulnID: "CVE-2024-0001", Source: "trivy", Date: asOf}
		in.KEV = KEV{Listed: r.IntN(20) == 0, Source: "cisa-kev 2026.06.30", Date: asOf, DateAdded: asOf.AddDate(0, -3, 0)}
		in.KEV.Ransomware = in.KEV.Listed && r.IntN(3) == 0
		in.EPSS = EPSS{Score: r.Float64() * r.Float64() * r.Float64(), Percentile: r.Float64(), Model: "v2026.06.15", Date: asOf, Source: "first-epss"}
		if r.IntN(3) == 0 {
			in.SSVC = SSVC{Exploitation: []string{"none", "poc", "active"}[r.IntN(3)], Automatable: []string{"yes", "no"}[r.IntN(2)], TechnicalImpact: []string{"partial", "total"}[r.IntN(2)], Source: "CISA-ADP", Date: asOf}
		}
		in.CVSS = CVSS{Vector: vectors[r.IntN(len(vectors))], Score: 7.5, Source: "NVD", Date: asOf}
		if r.IntN(10) == 0 {
			in.Exploit = Exploit{Maturity: []string{"poc", "weaponized"}[r.IntN(2)], References: []string{"https://www.exploit-db.com/exploits/1"}, Source: "exploitdb", Date: asOf}
		}
		in.Validation = Validation{State: []string{"", "", "", "exploitable", "refuted"}[r.IntN(5)], Source: "nuclei", Date: asOf}
		in.Asset = Asset{Name: "host", Exposure: []Exposure{ExposureInternet, ExposureInternal, ExposureIsolated, ""}[r.IntN(4)], ExposureSource: "external scan", Criticality: r.IntN(6), CrownJewel: r.IntN(10) == 0, Scopes: []string{"prod"}}
		if r.IntN(5) == 0 {
			in.Controls = []Control{{ID: "waf-1", Effect: []string{"removes_internet_exposure", "reduces_impact", "removes_precondition", "detect_only"}[r.IntN(4)], Source: "ctem.yaml", VerifiedAt: asOf.AddDate(0, -1, 0), ExpiresAt: asOf.AddDate(0, r.IntN(3)-1, 0)}}
		}
		out[i] = in
	}
	return out
}

func BenchmarkDecide(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.Decide(ins[i&4095])
		i++
	}
}

func BenchmarkDecideJSON(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	b.ReportAllocs()
	i := 0
	var buf []byte
	for b.Loop() {
		d := p.Decide(ins[i&4095])
		buf = d.AppendJSON(buf[:0])
		i++
	}
}

// BenchmarkDecideEncodingJSON is the same with encoding/json, for comparison.
func BenchmarkDecideEncodingJSON(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := p.Decide(ins[i&4095])
		if _, err := json.Marshal(plainDecision(d)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// plainDecision has Decision's fields and tags but not its MarshalJSON.
type plainDecision Decision

func BenchmarkScore(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.Score(ins[i&4095])
		i++
	}
}

func BenchmarkEvaluateCore(b *testing.B) {
	ins := benchInputs(4096)
	c := defaultCompiled
	fs := make([]facts, len(ins))
	for i := range ins {
		var tr trace
		fs[i] = c.facts(&ins[i], &tr)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = c.evaluate(&fs[i&4095], nil, false)
		i++
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	ds := make([]Decision, len(ins))
	size := 0
	for i := range ins {
		ds[i] = p.Decide(ins[i])
		size += len(ds[i].AppendJSON(nil))
	}
	b.ReportAllocs()
	var buf []byte
	i := 0
	for b.Loop() {
		buf = ds[i&4095].AppendJSON(buf[:0])
		i++
	}
	b.ReportMetric(float64(size)/float64(len(ds)), "bytes/decision")
}

// BenchmarkDecideParallel is Decide with its JSON on every core
// (GOMAXPROCS goroutines).
func BenchmarkDecideParallel(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		i := 0
		for pb.Next() {
			d := p.Decide(ins[i&4095])
			buf = d.AppendJSON(buf[:0])
			i++
		}
	})
}

// BenchmarkMillion decides and encodes 1,000,000 findings on one goroutine
// per op: run with -benchtime 1x; ns/op is the time for the million.
func BenchmarkMillion(b *testing.B) {
	ins := benchInputs(4096)
	p := DefaultPolicy()
	var buf []byte
	for b.Loop() {
		for i := range 1_000_000 {
			d := p.Decide(ins[i&4095])
			buf = d.AppendJSON(buf[:0])
		}
	}
}
