package nmap_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/nmap"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(`<nmaprun><host><ports><port protocol="tcp" portid="22"><state state="open"/><script id="vulners" output="&#xa;  cpe:/a:openbsd:openssh:7.4: &#xa;    &#x9;CVE-2018-15919&#x9;5.0&#x9;https://vulners.com/cve/CVE-2018-15919"/></port></ports><address addr="::1" addrtype="ipv6"/></host></nmaprun>`))
	f.Add([]byte(`<nmaprun><host><address addr="1.1.1.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="22"><state state="open"/><script id="vulners"><table key="cpe:/a:x:y:1"><table><elem key="id">X-1</elem><elem key="cvss">x</elem></table></table></script></port></ports></host></nmaprun>`))
	f.Add([]byte(""))
	f.Add([]byte("<nmaprun"))
	// The corpus is optional here: the fuzz target must run without it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		// go test runs in the package folder; the corpus sits beside the repository.
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	{
		for _, name := range []string{"nmap_script_vulners.xml", "nmap_multiple_port.xml", "nmap_0port.xml"} {
			if b, err := os.ReadFile(filepath.Join(dir, "nmap", name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &reporttest.Recorder{}
		err := nmap.New().Parse(context.Background(), bytes.NewReader(data), rec)
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v (%T)", err, err)
			}
		}
		_ = nmap.New().Detect(data)
	})
}
