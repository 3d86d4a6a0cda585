package store

import "testing"

// The digest keys stored texts: a different recipe would store every text
// again. Fields are length-prefixed (uvarint), so moving characters across
// a field boundary changes it. The expected values were computed
// independently (Python's hashlib over the same bytes).
func TestFindingTextDigest(t *testing.T) {
	for _, tc := range []struct {
		text FindingText
		want string
	}{
		{FindingText{}, "df3f619804a92fdb4057192dc43dd748"},
		{FindingText{Title: "ab", Description: "c", References: "[]"}, "520b6ea593e0e11cf5f6e36d6c227afb"},
		{FindingText{Title: "a", Description: "bc", References: "[]"}, "457d590637e8bc87dfb8eb9b7eb4c2be"},
	} {
		if got := tc.text.Digest(); got != tc.want {
			t.Errorf("%+v: digest %s, want %s", tc.text, got, tc.want)
		}
	}
}
