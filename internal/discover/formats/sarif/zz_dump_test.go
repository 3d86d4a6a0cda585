package sarif_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

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
