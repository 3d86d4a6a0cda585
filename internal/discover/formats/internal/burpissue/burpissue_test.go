package burpissue_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/burpissue"
)

func TestParam(t *testing.T) {
	tests := []struct{ loc, want string }{
		{"/search.php [test parameter]", "test"},
		{"/login [b_id cookie]", "b_id"},
		{"/api [X-Forwarded-For header]", "X-Forwarded-For"},
		{"/api [email JSON parameter]", "email"},
		{"/api [id URL parameter]", "id"},
		{"/xml [x XML attribute within the name parameter]", "name"},
		{"/ [name of an arbitrarily supplied URL parameter]", ""},
		{"/ [two words parameter]", ""},
		{"/plain/path", ""},
		{"/p [id parameter] trailing", ""},
	}
	for _, tt := range tests {
		if got := burpissue.Param(tt.loc); got != tt.want {
			t.Errorf("Param(%q) = %q, want %q", tt.loc, got, tt.want)
		}
	}
}
