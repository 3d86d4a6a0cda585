package testssl_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/testssl"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// fuzzCorpusDir finds the shared corpus without skipping: the fuzz target
// must run (on its inline seeds) where the corpus is absent.
func fuzzCorpusDir() string {
	if d := os.Getenv("CTEM_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, dir := range []string{"testssl"} {
		files, _ := filepath.Glob(filepath.Join(fuzzCorpusDir(), dir, "*"))
		for _, p := range files {
			// Small files only: big seeds slow every fuzz iteration.
			if st, err := os.Stat(p); err == nil && st.Size() <= 64<<10 {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format := testssl.New()
		_ = format.Detect(data)
		err := format.Parse(context.Background(), bytes.NewReader(data), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *report.ParseError: %T %v", err, err)
			}
		}
	})
}

var fuzzSeeds = []string{
	"\"id\",\"fqdn/ip\",\"port\",\"severity\",\"finding\",\"cve\",\"cwe\",\"hint\"\n\"DROWN\",\"a.example.com/10.0.0.1\",\"443\",\"HIGH\",\"vulnerable\",\"CVE-2016-0800 CVE-2016-0703\",\"CWE-310\",\"h\"\n\"scanProblem\",\"b/10.0.0.2\",\"443\",\"FATAL\",\"x\",\"\",\"\"\n",
	`[{"id":"SWEET32","ip":"a/10.0.0.1","port":"8443","severity":"LOW","cve":"CVE-2016-2183","cwe":"CWE-327","finding":"f"}]`,
	`{"Invocation":"testssl.sh","scanResult":[{"targetHost":"a","ip":"::1","port":443,"vulnerabilities":[{"id":"x","severity":"MEDIUM","finding":"y"}],"extra":[{"id":"z","severity":"LOW"}]}]}`,
}
