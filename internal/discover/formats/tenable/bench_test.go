package tenable_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/tenable"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/gen"
)

// BenchmarkParseNessus parses a generated .nessus report of the shape
// `ctem bench ingest` imports (50 results per host, vulnerabilities drawn
// from a catalogue of 5,000) and reports findings per second of one core.
func BenchmarkParseNessus(b *testing.B) {
	const hosts, perHost = 400, 50
	cat := gen.NewCatalogue(1, 5000)
	var doc bytes.Buffer
	err := gen.WriteNessus(&doc, gen.NessusSpec{
		Hosts:    gen.Hosts(1, hosts, "corp.example.com"),
		Findings: func(int) []gen.Vuln { return cat.Draw(perHost) },
	})
	if err != nil {
		b.Fatal(err)
	}
	got := reporttest.BenchParse(b, tenable.New(), [][]byte{doc.Bytes()})
	if got.Observations != hosts*perHost || got.Assets != hosts {
		b.Fatalf("parsed %d findings on %d assets, want %d on %d", got.Observations, got.Assets, hosts*perHost, hosts)
	}
}

// BenchmarkParseNessusCorpus parses the real .nessus files of the corpus,
// whose items carry the two dozen children real scans write (the generated
// report has seven).
func BenchmarkParseNessusCorpus(b *testing.B) {
	dir := reporttest.CorpusDir(b)
	var docs [][]byte
	for _, name := range []string{"issue_6992.nessus", "nessus_with_cvssv3.nessus", "nessus_with_cwe-.nessus", "nessus_v_unknown.xml", "nessus_many_vuln.xml"} {
		doc, err := os.ReadFile(filepath.Join(dir, "tenable", "nessus", name))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc)
	}
	reporttest.BenchParse(b, tenable.New(), docs)
}
