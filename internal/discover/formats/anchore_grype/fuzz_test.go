package anchoregrype_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	anchoregrype "github.com/ctemhq/ctem/internal/discover/formats/anchore_grype"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

var fuzzSeeds = []string{
	`{"matches":[]}`,
	sameImage,
	// Early Grype: cvssV2 / cvssV3, fixedInVersion, one matchDetails object.
	`{"matches":[{"vulnerability":{"id":"CVE-2011-3389","severity":"Medium","links":["https://x"],"cvssV2":{"vector":"AV:N/AC:M/Au:N/C:P/I:N/A:N"},"cvssV3":null,"fixedInVersion":"1.2"},"matchDetails":{"matcher":"dpkg-matcher"},"artifact":{"name":"p","version":"1","type":"deb","locations":[{"path":"/var/lib/dpkg/status"}]}}],"source":{"type":"image","target":{"userInput":"python:3.6","imageID":"sha256:1","tags":["python:3.6"]}}}`,
	`{"matches":[{"vulnerability":{"id":"GHSA-4374-p667-p6c8","severity":""},"relatedVulnerabilities":[{"id":"CVE-2023-39325","severity":"High","cvss":[{"vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}],"artifact":{"name":"x","version":"1"}},{"vulnerability":{"id":"GHSA-4374-p667-p6c8"},"artifact":{"name":"x","version":"1","locations":[{"path":"/b"}]}}],"source":{"type":"directory","target":"\".\""}}`,
	`{"source":{"type":"file","target":{"path":"app.jar"}},"matches":null,"descriptor":{"name":"grype"}}`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	// Small corpus files too, when the corpus is there; the target does
	// not need it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "anchore_grype", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &reporttest.Recorder{}
		err := anchoregrype.New().Parse(context.Background(), strings.NewReader(string(data)), rec)
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
			return
		}
		if len(rec.Assets) != 1 {
			t.Fatalf("got %d assets, want 1", len(rec.Assets))
		}
		for _, o := range rec.Observations {
			if o.Finding.Kind == "" || o.Finding.Severity == "" || o.Finding.VulnID == "" {
				t.Fatalf("incomplete observation %+v", o)
			}
		}
		_ = anchoregrype.New().Detect(data)
	})
}
