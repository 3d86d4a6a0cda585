package zap_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/zap"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestDump(t *testing.T) {
	dir := os.Getenv("DUMP")
	if dir == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(dir)
	for _, f := range files {
		rec, err := reporttest.ParseFile(t, zap.New(), f)
		fmt.Printf("== %s: assets=%d obs=%d err=%v detect=%d\n", f, len(rec.Assets), len(rec.Observations), err, zap.New().Detect(reporttest.Head(t, f)))
		if os.Getenv("VERBOSE") != "" {
			for _, a := range rec.Assets {
				b, _ := json.Marshal(a)
				fmt.Println("  A", string(b))
			}
			for _, o := range rec.Observations {
				b, _ := json.MarshalIndent(o, "  ", " ")
				fmt.Println("  O", string(b))
			}
		} else {
			for _, o := range rec.Observations {
				fmt.Printf("  %s | %s | %s | %s | %v | %s\n", o.ToolID, o.Finding.Title, o.Finding.Severity, o.Finding.Location.URL, o.Finding.CWEs, o.Asset.Name)
			}
		}
	}
}
