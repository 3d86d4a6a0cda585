package backtest

import (
	"strings"
	"testing"
)

// FuzzReadCVSS: any input gives a table or an error, never a panic, with
// and without the exploit flags.
func FuzzReadCVSS(f *testing.F) {
	header := "cve,cvss_version,base_score,base_vector,published_date,exploitdb,metasploit,nuclei,poc_github\n"
	f.Add(header + "CVE-2024-0001,3.1,9.8,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H,2024-01-05T10:15Z,True,False,False,True\n")
	f.Add(header + "CVE-2024-0001,2.0,,AV:N,,,,,\n")
	f.Add(header + "CVE-2024-0001,3.1,11,x,2024-13-01,maybe,False,False,False\n")
	f.Add("cve,base_score\nCVE-1,5\n")
	f.Add("\x1f\x8b\x08")
	f.Fuzz(func(t *testing.T, in string) {
		for _, read := range []func(r *strings.Reader) (*CVSSTable, error){
			func(r *strings.Reader) (*CVSSTable, error) { return ReadCVSS(r) },
			func(r *strings.Reader) (*CVSSTable, error) { return ReadCVSSWithExploits(r) },
		} {
			tbl, err := read(strings.NewReader(in))
			if err == nil && (tbl == nil || tbl.Rows != len(tbl.Scores)) {
				t.Fatalf("table %+v without an error", tbl)
			}
		}
	})
}
