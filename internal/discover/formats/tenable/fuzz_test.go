package tenable_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/tenable"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(smallXML))
	f.Add([]byte("Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Synopsis,Description,Solution,See Also,Plugin Output\n" +
		"42873,CVE-2016-2183,5.0,High,192.168.0.100,tcp,3389,SSL Medium Strength,syn,desc,fix,https://sweet32.info,out\n" +
		"42873,CVE-2016-6329,5.0,High,192.168.0.100,tcp,3389,SSL Medium Strength,syn,desc,fix,https://sweet32.info,out\n"))
	f.Add([]byte("\xef\xbb\xbfPlugin,Plugin Name,Family,Severity,IP Address,Protocol,Port,DNS Name,NetBIOS Name,CVSS V3 Vector,Cross References\n" +
		"1,n,General,Critical,10.0.0.1,TCP,443,a.example,W\\A,AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N,CWE #79\n"))
	f.Add([]byte("definition.id;definition.name;asset.display_ipv4_address;asset.host_name;severity;state;port;protocol\n1;x;10.0.0.1;h;High;FIXED;22;TCP\n2;y;10.0.0.1;h;Low;ACTIVE;0;TCP\n"))
	f.Add([]byte("Plugin ID,CVE,CVSS,CVSSv3,Risk,Host,Protocol,Port,Name\n98104,,7.5,7.1,high,google.com,http,,XSS\n"))
	f.Add([]byte(""))
	f.Add([]byte("<NessusClientData_v2"))
	// The corpus is optional here: the fuzz target must run without it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		// go test runs in the package folder; the corpus sits beside the repository.
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	{
		for _, name := range []string{"nessus_was/nessus_was_many_vuln.xml", "nessus_was/nessus_was_one_vuln.csv", "nessus/nessus-template.csv"} {
			if b, err := os.ReadFile(filepath.Join(dir, "tenable", name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &reporttest.Recorder{}
		err := tenable.New().Parse(context.Background(), bytes.NewReader(data), rec)
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v (%T)", err, err)
			}
		}
		for _, o := range rec.Observations {
			if len(o.Asset.Identifiers) == 0 {
				t.Fatalf("observation %q without asset identifiers", o.ToolID)
			}
			if len(o.Evidence) > 4<<10 {
				t.Fatalf("evidence of %d bytes", len(o.Evidence))
			}
		}
		_ = tenable.New().Detect(data)
	})
}
