package trufflehog3_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/trufflehog3"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("[{\"rule\":{\"id\":\"high-entropy\",\"message\":\"High Entropy\",\"severity\":\"MEDIUM\"},\"path\":\"a\",\"line\":\"2\",\"secret\":\"6B760A0478D4EB84\",\"context\":{\"2\":\"x=6B760A0478D4EB84\"},\"commit\":\"c\"}]"))
	f.Add([]byte("[{\"date\":\"d\",\"path\":\"p\",\"branch\":\"b\",\"commit\":\"m\",\"commitHash\":\"h\",\"reason\":\"High entropy\",\"stringsFound\":[\"+x\"]}]"))
	f.Add([]byte("[]"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "trufflehog3", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		trufflehog3.New().Detect(in)
		err := trufflehog3.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
