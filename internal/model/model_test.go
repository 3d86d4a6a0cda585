package model

import "testing"

// Fingerprints are stored and compared across versions: the recipe,
// sha256("<asset id>\x00<key>") cut to 16 bytes in hex, must never change.
func TestFingerprintIsStable(t *testing.T) {
	tests := []struct {
		asset int64
		key   string
		want  string
	}{
		{1, "vuln|CVE-2024-0001|openssl", "d888d8954bf9e2302fce8541d2be6594"},
		{123456789, "", "ff4a234ff0ef3b213ae75ec3106a0bbe"},
		{-5, "x\x00y", "6afbbfd823bc479d111f98598d70bc5e"},
	}
	for _, tc := range tests {
		if got := Fingerprint(tc.asset, tc.key); got != tc.want {
			t.Errorf("Fingerprint(%d, %q) = %s, want %s", tc.asset, tc.key, got, tc.want)
		}
	}
}
