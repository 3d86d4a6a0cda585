package msdefender

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// TestEntryBudget checks that an entry is cut off by what it inflates to,
// whatever its header claims: the budget is the remaining allowance.
func TestEntryBudget(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("vulnerabilities/big.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(strings.Repeat(" ", 4096) + `{"value":[]}`)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	budget := int64(1024)
	err = readEntry(zr.File[0], &budget, func(r io.Reader) error {
		_, err := io.ReadAll(r)
		return err
	})
	var pe *report.ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "inflates past") {
		t.Fatalf("error = %v, want an inflate-limit ParseError", err)
	}

	budget = 1 << 20
	err = readEntry(zr.File[0], &budget, func(r io.Reader) error {
		_, err := io.ReadAll(r)
		return err
	})
	if err != nil {
		t.Fatalf("within budget: %v", err)
	}
	if budget != 1<<20-int64(4096+len(`{"value":[]}`)) {
		t.Errorf("budget left = %d", budget)
	}
}
