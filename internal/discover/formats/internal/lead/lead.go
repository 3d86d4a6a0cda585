// Package lead deals with what may come before a report's content: a UTF-8
// byte order mark, which some Windows tools write and encoding/json rejects,
// and white space. Parsers that skip it keep their error offsets absolute
// with Shift.
package lead

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/ctemhq/ctem/internal/discover/report"
)

var bom = []byte("\xef\xbb\xbf")

// SkipBOM drops a UTF-8 byte order mark from the start of r. r is read
// through a bufio.Reader: r itself when it is one, a new one otherwise.
func SkipBOM(r io.Reader) *bufio.Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	if b, _ := br.Peek(3); bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	return br
}

// Trim drops a byte order mark and white space from the start of a
// detection head.
func Trim(head []byte) []byte {
	return bytes.TrimLeft(bytes.TrimPrefix(head, bom), " \t\r\n")
}

// Peek consumes a byte order mark and white space and returns the first
// significant byte (not consumed) and how many bytes it skipped. An input
// with nothing else is a ParseError "empty input: expected <expected>"
// ("a Trivy JSON report").
func Peek(br *bufio.Reader, expected string) (byte, int64, error) {
	var skipped int64
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
		skipped = 3
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, skipped, report.Errorf(skipped, "empty input: expected %s", expected)
			}
			return 0, skipped, report.AtOffset(skipped, err)
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			skipped++
			continue
		}
		_ = br.UnreadByte()
		return b, skipped, nil
	}
}

// Shift makes the offset of a ParseError from a parser that started after
// Peek absolute again: by is what Peek skipped.
func Shift(err error, by int64) error {
	if err == nil || by == 0 {
		return err
	}
	var pe *report.ParseError
	if errors.As(err, &pe) && pe.Offset >= 0 {
		pe.Offset += by
	}
	return err
}
