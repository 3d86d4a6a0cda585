package wiz_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/wiz"
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
	for _, dir := range []string{"wiz"} {
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
		format := wiz.New()
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
	"Created At,Title,Severity,Status,Description,Resource Type,Resource external ID,Control ID,Resource Name,Issue ID,Resource vertex ID\n2024,T,HIGH,OPEN,d,User,arn:aws:iam::1:user/x,c,x,i,v\n2024,T,LOW,RESOLVED,d,VM,,c,y,i2,v2\n",
	"ID,WizURL,Name,FindingStatus,VendorSeverity,DetailedName,Version,FixedVersion,LocationPath,AssetID,AssetName,ProviderUniqueId,IpAddresses\n1,u,CVE-2024-1,Open,High,pkg,1.0,1.1,/p,a,n,arn:aws:ec2:r:1:instance/i-1,\"10.0.0.1, ::1\"\n",
}
