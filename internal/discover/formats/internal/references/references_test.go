package references_test

import (
	"reflect"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/references"
	"github.com/ctemhq/ctem/internal/model"
)

func TestAdd(t *testing.T) {
	var f model.Finding
	for _, u := range []string{
		" https://a.example/x ",
		"https://a.example/x",
		"http://b.example",
		"",
		"ftp://c.example",
		"see https://d.example",
	} {
		references.Add(&f, u)
	}
	want := []string{"https://a.example/x", "http://b.example"}
	if !reflect.DeepEqual(f.References, want) {
		t.Errorf("References = %q, want %q", f.References, want)
	}
}
