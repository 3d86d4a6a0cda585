package trufflehog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/trufflehog"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"SourceMetadata\":{\"Data\":{\"Git\":{\"commit\":\"c\",\"file\":\"keys\",\"repository\":\"https://github.com/o/r\",\"line\":4}}},\"DetectorName\":\"AWS\",\"Verified\":true,\"Raw\":\"QUtJQVlWUDRDSVBQRVJVVklGWEc=\",\"Redacted\":\"AKIAYVP4CIPPERUVIFXG\",\"ExtraData\":{\"account\":\"1\"}}\n"))
	f.Add([]byte("{\"branch\":\"b\",\"commit\":\"m\",\"commitHash\":\"h\",\"date\":\"d\",\"path\":\"p\",\"reason\":\"AWS API Key\",\"stringsFound\":[\"AKIA\"]}\n"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "trufflehog", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		trufflehog.New().Detect(in)
		err := trufflehog.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
