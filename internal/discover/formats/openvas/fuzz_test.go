package openvas_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/openvas"
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
	for _, dir := range []string{"openvas"} {
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
		format := openvas.New()
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
	`<report format_id="a994b278-1f62-11e1-96ac-406186ea4fc5"><report><results><result><name>n</name><host>10.0.0.1<hostname>h</hostname></host><port>22/tcp</port><nvt oid="1.3"><name>n</name><tags>summary=s|solution=x|cvss_base_vector=AV:N/AC:L/Au:N/C:P/I:P/A:P</tags><severities><severity type="cvss_base_v3"><value>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</value></severity></severities><refs><ref type="cve" id="CVE-2020-1234"/><ref type="url" id="https://x"/></refs></nvt><threat>High</threat><severity>7.5</severity><description>d</description></result></results><host><ip>10.0.0.1</ip><detail><name>best_os_txt</name><value>Linux</value></detail></host></report></report>`,
	"IP,Hostname,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID,CVEs\n10.0.0.1,h,80,tcp,5.0,Medium,n,1.3,\"CVE-2020-1,CVE-2020-2\"\n",
}
