package discover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIDSet(t *testing.T) {
	s := idSet{}
	in := []int64{1, 63, 64, 65535, 65536, 1 << 40, 3}
	for _, id := range in {
		s.add(id)
	}
	var got []int64
	for _, id := range []int64{0, 1, 2, 3, 62, 63, 64, 65, 65535, 65536, 65537, 1 << 40, 1<<40 + 1} {
		if s.has(id) {
			got = append(got, id)
		}
	}
	want := []int64{1, 3, 63, 64, 65535, 65536, 1 << 40}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
}
