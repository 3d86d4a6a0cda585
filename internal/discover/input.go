package discover

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// Limits bound what an import may read, so that a hostile or broken file
// cannot exhaust memory or disk.
type Limits struct {
	// MaxBytes caps the bytes of one report after decompression.
	MaxBytes int64
	// MaxArchiveEntries caps the files read from one zip archive.
	MaxArchiveEntries int
	// MaxRatio caps decompressed size over compressed size (zip bombs).
	MaxRatio int64
	// BatchSize is how many observations are written together.
	BatchSize int
}

// DefaultLimits are generous for real reports and stop bombs.
var DefaultLimits = Limits{MaxBytes: 8 << 30, MaxArchiveEntries: 1000, MaxRatio: 200, BatchSize: 4000}

// ErrLimit is wrapped by errors about inputs that exceed a Limit.
var ErrLimit = errors.New("input exceeds a safety limit")

// limitedReader fails, instead of truncating silently, past max bytes or
// past ratio times the compressed bytes read so far.
type limitedReader struct {
	r          io.Reader
	n, max     int64
	compressed func() int64
	ratio      int64
	what       string
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.max > 0 && l.n > l.max {
		return n, fmt.Errorf("%s: more than %d bytes: %w", l.what, l.max, ErrLimit)
	}
	if l.compressed != nil && l.ratio > 0 && l.n > 1<<20 && l.n > l.ratio*max(l.compressed(), 1) {
		return n, fmt.Errorf("%s: expands more than %d times: %w", l.what, l.ratio, ErrLimit)
	}
	return n, err
}

// countingReader counts and hashes the raw bytes of a file.
type countingReader struct {
	r io.Reader
	n int64
	h hash.Hash
}

func newCounting(r io.Reader) *countingReader { return &countingReader{r: r, h: sha256.New()} }

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

func (c *countingReader) digest() string { return "sha256:" + hex.EncodeToString(c.h.Sum(nil)) }

// peek returns up to DetectBytes of br without consuming them.
func peek(br *bufio.Reader) []byte {
	head, _ := br.Peek(report.DetectBytes)
	return head
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
)

// unit is one report to import: a plain file, a decompressed gzip, or
// one entry of a zip archive.
type unit struct {
	name   string
	r      *bufio.Reader
	head   []byte
	digest func() string
	// path is set when the unit's bytes are a plain file on disk, so that
	// a byte offset can be turned into a line and column.
	path string
}

// openUnits opens path (or stdin for "-") and calls fn for each report in
// it. zip archives that no format claims as a whole are opened as folders
// of reports.
func (p *Pipeline) openUnits(path, display string, reg *report.Registry, format string, fn func(u unit) error) error {
	var f *os.File
	if path == "-" {
		f = os.Stdin
	} else {
		var err error
		f, err = os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
	}
	name := path
	switch {
	case display != "":
		name = display
	case path == "-":
		name = "stdin"
	}
	raw := newCounting(f)
	br := bufio.NewReaderSize(raw, report.DetectBytes)
	head := peek(br)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return &report.ParseError{File: name, Offset: 0, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer gz.Close()
		lr := &limitedReader{r: gz, max: p.Limits.MaxBytes, compressed: func() int64 { return raw.n }, ratio: p.Limits.MaxRatio, what: name}
		inner := bufio.NewReaderSize(lr, report.DetectBytes)
		return fn(unit{name: name, r: inner, head: peek(inner), digest: raw.digest})
	case bytes.HasPrefix(head, zipMagic) && !claimsWhole(reg, format, head):
		return p.zipUnits(name, f, path == "-", fn)
	}
	lr := &limitedReader{r: br, max: p.Limits.MaxBytes, what: name}
	inner := bufio.NewReaderSize(lr, report.DetectBytes)
	u := unit{name: name, r: inner, head: peek(inner), digest: raw.digest}
	if path != "-" {
		u.path = path
	}
	return fn(u)
}

// claimsWhole reports whether a format reads this zip archive itself.
func claimsWhole(reg *report.Registry, format string, head []byte) bool {
	if format != "" {
		return true
	}
	_, err := reg.Detect(head)
	return err == nil
}

func (p *Pipeline) zipUnits(name string, f *os.File, spool bool, fn func(u unit) error) error {
	ra := io.ReaderAt(f)
	size := int64(0)
	if spool {
		// zip needs random access: copy stdin to a temporary file, bounded.
		tmp, err := os.CreateTemp("", "ctem-import-*.zip")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		n, err := io.Copy(tmp, &limitedReader{r: f, max: p.Limits.MaxBytes, what: name})
		if err != nil {
			return err
		}
		ra, size = tmp, n
	} else {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size = st.Size()
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return &report.ParseError{File: name, Offset: -1, Err: fmt.Errorf("zip: %w", err)}
	}
	files := 0
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		files++
		if files > p.Limits.MaxArchiveEntries {
			return fmt.Errorf("%s: more than %d files in the archive: %w", name, p.Limits.MaxArchiveEntries, ErrLimit)
		}
		rc, err := zf.Open()
		if err != nil {
			return &report.ParseError{File: name + "!" + zf.Name, Offset: -1, Err: err}
		}
		entry := name + "!" + zf.Name
		compressed := int64(zf.CompressedSize64)
		h := newCounting(&limitedReader{r: rc, max: p.Limits.MaxBytes, compressed: func() int64 { return compressed }, ratio: p.Limits.MaxRatio, what: entry})
		br := bufio.NewReaderSize(h, report.DetectBytes)
		err = fn(unit{name: entry, r: br, head: peek(br), digest: h.digest})
		rc.Close()
		if err != nil {
			return err
		}
	}
	if files == 0 {
		return &report.ParseError{File: name, Offset: -1, Err: errors.New("zip archive holds no files")}
	}
	return nil
}

// lineCol turns a byte offset in a file into a 1-based line and column.
func lineCol(path string, offset int64) (line, col int, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, offset))
	line, col = 1, 1
	for {
		b, err := br.ReadByte()
		if err != nil {
			break
		}
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col, true
}
