package openvas_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/openvas"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestVMHDump(t *testing.T) {
	path := os.Getenv("VMHDUMP")
	if path == "" {
		t.Skip()
	}
	for _, p := range strings.Split(path, ",") {
		rec, err := reporttest.ParseFile(t, openvas.New(), p)
		fmt.Printf("== %s err=%v assets=%d obs=%d\n", p, err, len(rec.Assets), len(rec.Observations))
		if os.Getenv("VMHV") != "" {
			for _, a := range rec.Assets {
				b, _ := json.Marshal(a)
				fmt.Println("A", string(b))
			}
			for _, o := range rec.Observations {
				o.Finding.Description = trunc(o.Finding.Description)
				o.Finding.Remediation = trunc(o.Finding.Remediation)
				o.Evidence = trunc(o.Evidence)
				o.Asset.Attributes = nil
				b, _ := json.Marshal(o)
				fmt.Println("O", string(b))
			}
		}
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
