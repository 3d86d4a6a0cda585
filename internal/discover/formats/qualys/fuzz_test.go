package qualys_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/qualys"
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
	for _, dir := range []string{"qualys"} {
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
		format := qualys.New()
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
	`<ASSET_DATA_REPORT><HOST_LIST><HOST><IP>10.0.0.1</IP><DNS>a.example.com</DNS><NETBIOS>A</NETBIOS><OPERATING_SYSTEM>Linux</OPERATING_SYSTEM><VULN_INFO_LIST><VULN_INFO><QID id="qid_1">1</QID><TYPE>Vuln</TYPE><PORT>80</PORT><PROTOCOL>tcp</PROTOCOL><FQDN>v.example.com</FQDN><RESULT>r</RESULT><VULN_STATUS>Active</VULN_STATUS></VULN_INFO><VULN_INFO><QID id="qid_2">2</QID><VULN_STATUS>Fixed</VULN_STATUS></VULN_INFO></VULN_INFO_LIST></HOST></HOST_LIST><GLOSSARY><VULN_DETAILS_LIST><VULN_DETAILS id="qid_1"><TITLE>t</TITLE><SEVERITY>4</SEVERITY><THREAT>a<BR>b</THREAT><CVSS3_SCORE><CVSS3_BASE>9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)</CVSS3_BASE></CVSS3_SCORE><CVE_ID_LIST><CVE_ID><ID>CVE-2020-1</ID><URL>http://x</URL></CVE_ID></CVE_ID_LIST></VULN_DETAILS></VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>`,
	"\"IP\",\"DNS\",\"QID\",\"Title\",\"Severity\",\"Port\",\"Protocol\",\"CVE ID\",\"CVSS3 Base\",\"CVSS3 Temporal\",\"Vuln Status\"\n\"10.0.0.1\",\"a\",\"1\",\"t\",\"5\",\"80\",\"tcp\",\"CVE-2020-1, CVE-2020-2\",\"9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)\",\"9.0 (E:U/RL:O/RC:C)\",\"Active\"\n",
}
