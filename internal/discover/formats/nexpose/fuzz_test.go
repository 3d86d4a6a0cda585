package nexpose_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/nexpose"
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
	for _, dir := range []string{"nexpose"} {
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
		format := nexpose.New()
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
	`<NexposeReport version="2.0"><nodes><node address="10.0.0.1" status="alive" hardware-address="001122334455"><names><name>a.example.com</name></names><fingerprints><os certainty="0.9" product="Linux" version="5"/></fingerprints><tests><test id="v1" status="vulnerable-exploited" key="k"><Paragraph>out</Paragraph></test></tests><endpoints><endpoint protocol="tcp" port="22" status="open"><services><service name="SSH"><tests><test id="v1" status="vulnerable-version"><Paragraph><UnorderedList><ListItem>x</ListItem></UnorderedList></Paragraph></test></tests></service></services></endpoint></endpoints></node></nodes><VulnerabilityDefinitions><vulnerability id="v1" title="T" severity="8" cvssVector="(AV:N/AC:L/Au:N/C:P/I:P/A:P)"><description><ContainerBlockElement><Paragraph>d</Paragraph></ContainerBlockElement></description><references><reference source="CVE">CVE-2020-1234</reference></references><solution><Paragraph>s<URLLink LinkURL="http://x"/></Paragraph></solution></vulnerability></VulnerabilityDefinitions></NexposeReport>`,
	`<NexposeReport version="2.0"><VulnerabilityDefinitions/><nodes/></NexposeReport>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><NexposeReport version="2.0"></NexposeReport>`,
}
