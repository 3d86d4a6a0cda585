package cyclonedx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/cyclonedx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"bom-ref":"a","name":"n","version":"1","components":[{"bom-ref":"b","name":"m"}]}],"vulnerabilities":[{"id":"CVE-2020-1","ratings":[{"severity":"high","method":"CVSSv3","vector":"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"cwes":[79],"affects":[{"ref":"a"},{"ref":"b"}]}]}`,
		`{"vulnerabilities":[{"id":"x","affects":[{"ref":"pkg:npm/a@1"}],"analysis":{"state":"not_affected","response":["update"]}}],"metadata":{"component":{"type":"container","name":"img@sha256:abc","version":"sha256:def"}},"bomFormat":"CycloneDX"}`,
		`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0" serialNumber="urn:uuid:1"><components><component type="library"><name>a</name><version>1</version><v:vulnerabilities><v:vulnerability ref="r"><v:id>CVE-2021-1</v:id><v:ratings><v:rating><v:score><v:base>5</v:base></v:score><v:severity>Medium</v:severity><v:method>CVSSv2</v:method><v:vector>AV:N/AC:L/Au:N/C:P/I:N/A:N</v:vector></v:rating></v:ratings></v:vulnerability></v:vulnerabilities></component></components></bom>`,
		`<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><metadata><component type="file"><name>.</name></component></metadata><vulnerabilities><vulnerability><id>GHSA-aaaa-bbbb-cccc</id><affects><target><ref>urn:cdx:s/1#x</ref><versions><version><version>2</version><status>unaffected</status></version></versions></target></affects></vulnerability></vulnerabilities></bom>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><bom xmlns="http://cyclonedx.org/schema/bom/1.0"/>`,
	} {
		f.Add([]byte(s))
	}
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		// Small files only: the fuzzer minimizes large inputs slowly.
		for _, name := range []string{"spec1.xml", "multiple_cwes_fabricated.xml", "issue_8022.json", "valid-vulnerability-1.4.json"} {
			if data, err := os.ReadFile(filepath.Join(dir, "cyclonedx", name)); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []io.Reader{bytes.NewReader(data), onlyReader{bytes.NewReader(data)}} {
			rec := &reporttest.Recorder{}
			err := cyclonedx.New().Parse(context.Background(), r, rec)
			if err != nil {
				var pe *report.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T) is not a ParseError", err, err)
				}
				continue
			}
			if len(rec.Assets) != 1 {
				t.Fatalf("assets = %d, want 1", len(rec.Assets))
			}
			for _, o := range rec.Observations {
				if len(o.Finding.Title) > 250 {
					t.Fatalf("title too long: %d", len(o.Finding.Title))
				}
			}
		}
		_ = cyclonedx.New().Detect(data)
	})
}
