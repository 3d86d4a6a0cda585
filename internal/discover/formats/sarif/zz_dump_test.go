package sarif_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ctemhq/ctem/internal/discover/report"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/discover/formats/sarif"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestZZDump(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	dir := filepath.Join(reporttest.CorpusDir(t), "sarif")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		rec, err := reporttest.ParseFile(t, sarif.New(), filepath.Join(dir, e.Name()))
		fmt.Printf("%s: obs=%d assets=%d err=%v\n", e.Name(), len(rec.Observations), len(rec.Assets), err)
		b, _ := json.MarshalIndent(rec, "", " ")
		os.WriteFile("/tmp/sarifdump/"+e.Name()+".json", b, 0o644)
	}
}

func TestZZDetectAll(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	root := reporttest.CorpusDir(t)
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if info.IsDir() {
			return nil
		}
		if s := sarif.New().Detect(reporttest.Head(t, p)); s > 0 {
			fmt.Printf("%3d %s\n", s, p[len(root)+1:])
		}
		return nil
	})
}

func TestZZBig(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"R","shortDescription":{"text":"s"}}]}},"results":[`))
		for i := 0; i < 300000; i++ {
			if i > 0 {
				pw.Write([]byte(","))
			}
			fmt.Fprintf(pw, `{"ruleId":"R","message":{"text":"message number %d with some padding text to make it longer than usual"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/file%d.go"},"region":{"startLine":%d,"snippet":{"text":"some code here %d"}}}}]}`, i, i%1000, i, i)
		}
		pw.Write([]byte(`]}]}`))
		pw.Close()
	}()
	var peak uint64
	n := 0
	sink := &countSink{fn: func() {
		n++
		if n%10000 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
		}
	}}
	start := time.Now()
	if err := sarif.New().Parse(context.Background(), pr, sink); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("n=%d peak heap=%d MB time=%v\n", n, peak>>20, time.Since(start))
}

type countSink struct{ fn func() }

func (c *countSink) Asset(report.AssetRef) error      { return nil }
func (c *countSink) Observe(report.Observation) error { c.fn(); return nil }
