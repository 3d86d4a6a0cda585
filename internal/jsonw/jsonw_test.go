package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// marshal is json.Marshal without HTML escaping.
func marshal(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func check(t *testing.T, s string, f float64) {
	t.Helper()
	if got, want := string(AppendString(nil, s)), marshal(t, s); got != want {
		t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
	}
	ss := []string{s, "x"}
	if got, want := string(AppendStrings(nil, ss)), marshal(t, ss); got != want {
		t.Errorf("AppendStrings(%q) = %s, want %s", ss, got, want)
	}
	if !math.IsNaN(f) && !math.IsInf(f, 0) {
		if got, want := string(AppendFloat(nil, f)), marshal(t, f); got != want {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestMatchesEncodingJSON(t *testing.T) {
	for i, s := range []string{"", "plain", `a"b\c`, "\x00\x01\b\f\n\r\t\x1f\x7f", "\xff\xfe bad", "\u2028\u2029 é 😀", "<&>"} {
		check(t, s, []float64{0, 9.8, -1e-7, 1e21, 123456789.125, 1e-6, 5e-324}[i])
	}
	if got := string(AppendStrings(nil, nil)); got != "null" {
		t.Errorf("AppendStrings(nil) = %s", got)
	}
	for _, f := range []float64{math.NaN(), math.Inf(-1)} {
		if got := string(AppendFloat(nil, f)); got != "0" {
			t.Errorf("AppendFloat(%v) = %s, want 0", f, got)
		}
	}
}

func FuzzMatchesEncodingJSON(f *testing.F) {
	f.Add("a\u2028\xff\"", 9.8)
	f.Fuzz(func(t *testing.T, s string, x float64) { check(t, s, x) })
}
