package trivy_test

import (
	"bytes"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/trivy"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/gen"
)

// BenchmarkParseTrivy parses generated Trivy image reports of the shape
// `ctem bench ingest --format trivy` imports (one file of 50 vulnerabilities
// per image, drawn from a catalogue of 5,000) and reports findings per
// second of one core.
func BenchmarkParseTrivy(b *testing.B) {
	const images, perImage = 40, 50
	cat := gen.NewCatalogue(1, 5000)
	var docs [][]byte
	for _, img := range gen.Images(images, "registry.example.com") {
		var doc bytes.Buffer
		if err := gen.WriteTrivy(&doc, img, cat.Draw(perImage)); err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc.Bytes())
	}
	got := reporttest.BenchParse(b, trivy.New(), docs)
	if got.Observations != images*perImage || got.Assets != images {
		b.Fatalf("parsed %d findings on %d assets, want %d on %d", got.Observations, got.Assets, images*perImage, images)
	}
}
