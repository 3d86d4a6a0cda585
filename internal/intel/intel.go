// Package intel fetches, parses and loads threat-intelligence feeds: the
// CISA Known Exploited Vulnerabilities catalog, FIRST EPSS daily scores and
// CVE records from the NVD CVE API 2.0 (CVSS from every provider, CISA-ADP
// SSVC points). Client.Sync fetches them online (retries with backoff,
// conditional requests, timeouts, NVD paging and rate limits); LoadDir
// loads the same files from a folder for air-gapped sites. Either way the
// store keeps history: EPSS per day with its model version, KEV additions
// and removals with dates.
//
// Parsers stream (memory stays flat however large the input) and report
// malformed input as *report.ParseError, with a line or byte position.
package intel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// cveID is the CVE id syntax of the KEV schema.
var cveID = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)

// isCVE is cveID without the regexp, for the EPSS hot loop.
func isCVE(b []byte) bool {
	if len(b) < 13 || len(b) > 28 || string(b[:4]) != "CVE-" || b[8] != '-' {
		return false
	}
	for i, c := range b[4:] {
		if i == 4 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// gzipMagic starts every gzip member.
var gzipMagic = []byte{0x1f, 0x8b}

// decompress returns r, transparently gunzipped when it starts with the
// gzip magic bytes (all members of a multistream file are read).
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	if !bytes.Equal(head, gzipMagic) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return zr, nil
}

// parseDate reads a YYYY-MM-DD date as a UTC midnight.
func parseDate(s string) (time.Time, error) {
	return time.Parse("2006-01-02", s)
}

// parseTime reads the timestamps the feeds use: RFC 3339, NVD's
// zone-less UTC times, and EPSS's +0000 offsets.
func parseTime(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999-0700", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse time %q", s)
}

// day truncates t to its UTC date.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// element decodes the next JSON value into v and returns the byte offset
// where it starts. Decoding goes through a json.RawMessage so that type
// errors are placed at absolute offsets (a Decoder reports them relative to
// the value).
func element(js *report.JSONStream, v any) (start int64, err error) {
	var raw json.RawMessage
	if err := js.Decode(&raw); err != nil {
		return js.Offset(), err
	}
	start = js.Offset() - int64(len(raw))
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return start, &report.ParseError{Offset: start + te.Offset, Err: err}
		}
		return start, report.AtOffset(start, err)
	}
	return start, nil
}
