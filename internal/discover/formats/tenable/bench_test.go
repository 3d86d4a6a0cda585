package tenable_test

import (
	"bytes"
	"context"
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
	f := tenable.New()
	b.SetBytes(int64(doc.Len()))
	b.ReportAllocs()
	var sink reporttest.Counter
	for b.Loop() {
		sink = reporttest.Counter{}
		if err := f.Parse(context.Background(), bytes.NewReader(doc.Bytes()), &sink); err != nil {
			b.Fatal(err)
		}
	}
	if sink.Observations != hosts*perHost || sink.Assets != hosts {
		b.Fatalf("parsed %d findings on %d assets, want %d on %d", sink.Observations, sink.Assets, hosts*perHost, hosts)
	}
	reporttest.ReportRate(b, hosts*perHost)
}
