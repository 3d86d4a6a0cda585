package csvx_test

import (
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

func TestNewReader(t *testing.T) {
	tests := []struct {
		name, in string
		want     [][]string
	}{
		{"byte order mark dropped", "\xef\xbb\xbfa,b\n1,2\n", [][]string{{"a", "b"}, {"1", "2"}}},
		{"no byte order mark", "a,b\n1\n", [][]string{{"a", "b"}, {"1"}}},
		{"shorter than a byte order mark", "a", [][]string{{"a"}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := csvx.NewReader(iotest.HalfReader(strings.NewReader(tt.in)))
			var got [][]string
			for {
				rec, err := cr.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, append([]string(nil), rec...))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("read %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	cr := csvx.NewReader(iotest.ErrReader(boom))
	if _, err := cr.Read(); !errors.Is(err, boom) {
		t.Errorf("Read() error = %v, want %v", err, boom)
	}
}

func TestHeader(t *testing.T) {
	got := csvx.Header([]string{" IP ", "QID", "Title", "ip", ""})
	want := map[string]int{"ip": 0, "qid": 1, "title": 2, "": 4}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Header = %v, want %v", got, want)
	}
}

func TestReadLine(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{`id,"fqdn/ip",port`, []string{"id", "fqdn/ip", "port"}},
		{`a`, []string{"a"}},
		{`"open`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		if got := csvx.ReadLine(tt.line); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ReadLine(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// readErr reads in until the reader fails.
func readErr(in string) (*csv.Reader, error) {
	cr := csvx.NewReader(strings.NewReader(in))
	for {
		if _, err := cr.Read(); err != nil {
			return cr, err
		}
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		name, in, expected string
		want               string
	}{
		{"parse error at its line", "a,b\nx\"y\n", "", `input:2:2: parse error on line 2, column 2: bare " in non-quoted-field`},
		{"empty input with a header expected", "", "a Wiz CSV header", "input:1:1: empty input: expected a Wiz CSV header"},
		{"end of input placed at the offset", "", "", "input: byte 0: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr, err := readErr(tt.in)
			got := csvx.Error(cr, err, tt.expected)
			var pe *report.ParseError
			if !errors.As(got, &pe) {
				t.Fatalf("Error = %v, not a ParseError", got)
			}
			if got.Error() != tt.want {
				t.Errorf("Error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"parse error", "a,b\nx\"y\n", `input:2:2: malformed Prowler CSV row: bare " in non-quoted-field`},
		{"empty input", "", "input:1:1: malformed Prowler CSV row: empty input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readErr(tt.in)
			if got := csvx.Describe(err, "malformed Prowler CSV row"); got.Error() != tt.want {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
		})
	}
	boom := errors.New("boom")
	var pe *report.ParseError
	if got := csvx.Describe(boom, "x"); !errors.As(got, &pe) || pe.Line != 0 || !errors.Is(got, boom) {
		t.Errorf("Describe(boom) = %#v, want the error unplaced", got)
	}
}

func TestContainsFold(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`"IP","QID","Title"`, true},
		{`ip,qid,title`, true},
		{`Asset Id,Qid`, true},
		{`{"SchemaVersion": 2,`, false},
		{`QI`, false},
		{``, false},
	} {
		if got := csvx.ContainsFold([]byte(tc.line), "qid"); got != tc.want {
			t.Errorf("ContainsFold(%q, qid) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
