package formats_test

import (
	"bytes"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/gen"
)

// BenchmarkDetectTrivy detects the format of one image's Trivy report of
// 50 findings, as an import of many such files does once per file.
func BenchmarkDetectTrivy(b *testing.B) {
	reg, err := formats.Registry()
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gen.WriteTrivy(&buf, gen.Images(1, "registry.example")[0], gen.NewCatalogue(1, 5000).Draw(50)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if f, err := reg.Detect(buf.Bytes()); err != nil || f.Name() != "trivy" {
			b.Fatalf("Detect = %v, %v", f, err)
		}
	}
}
