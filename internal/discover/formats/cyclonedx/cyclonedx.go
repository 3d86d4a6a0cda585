// Package cyclonedx parses CycloneDX BOMs that carry vulnerabilities (VEX /
// VDR), in JSON and XML, spec 1.0 to 1.6, including the 1.x XML vulnerability
// extension (http://cyclonedx.org/schema/ext/vulnerability/1.0) that Grype
// used with spec 1.2: there the vulnerabilities sit inside each component
// (<v:vulnerabilities>) or at the root with a ref attribute.
//
// Mapping, in short:
//   - one observation per (vulnerability, affected component), as DefectDojo
//     counts; a vulnerability that names no affected component is skipped
//     (DefectDojo skips it too: there is nothing to attach it to). A BOM
//     without vulnerabilities is valid and yields no findings.
//   - the asset is the BOM's subject, metadata.component: an image for type
//     "container" (image_ref, image_digest, image_id), a repository when it
//     names a VCS URL, a package ("name@version") otherwise, and a repository
//     without identifiers when the BOM names no subject (the pipeline names
//     it from the import). The serial number is kept as attribute bom_serial.
//   - severity: a CVSS v3/v4 rating's severity word, else the first rating's
//     word, else a score, else info for "unknown" and medium without any
//     rating (DefectDojo's default); all parseable vectors go to CVSS
//     ("CVSSv3" is CVSS 3.0, "CVSSv31" 3.1, "CVSSv4" 4.0 per the spec).
//   - VEX analysis (not_affected, false_positive, resolved...) does not drop
//     a finding: it is stated in Evidence, and triage stays with ctem.
//
// Streaming: components[] and vulnerabilities[] are decoded one element at
// a time; only a small bom-ref -> component map (name, version, purl) is
// held. JSON keys may come in any order: when vulnerabilities precede the
// components or the metadata, a seekable input is read twice (the first
// pass skips the vulnerabilities); a non-seekable one holds the decoded
// vulnerabilities until the end. XML follows the schema's element order, in
// which vulnerabilities come last; the rare out-of-order file is buffered
// the same way.
package cyclonedx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"regexp"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the CycloneDX format.
func New() report.Format { return format{} }

func (format) Name() string { return "cyclonedx" }

func (format) Version() int { return 1 }

func (format) Description() string {
	return "CycloneDX BOM with vulnerabilities (JSON or XML, spec 1.0-1.6)"
}

var (
	utf8BOM        = []byte{0xEF, 0xBB, 0xBF}
	detectFormat   = regexp.MustCompile(`"bomFormat"\s*:\s*"CycloneDX"`)
	detectSchema   = regexp.MustCompile(`(?i)"\$schema"\s*:\s*"[^"]*cyclonedx[^"]*"`)
	detectSpec     = regexp.MustCompile(`"specVersion"\s*:\s*"1\.\d+"`)
	bomNamespaceRe = regexp.MustCompile(`^http://cyclonedx\.org/schema/bom/1\.\d+$`)
)

const legacyNS = "http://cyclonedx.org/schema/ext/vulnerability/1.0"

// Detect recognizes a JSON BOM by bomFormat "CycloneDX" and an XML BOM by
// its root element <bom> in a CycloneDX namespace.
func (format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, utf8BOM)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	switch trimmed[0] {
	case '{':
		if detectFormat.Match(head) {
			return 90
		}
		if detectSchema.Match(head) && detectSpec.Match(head) {
			return 80
		}
	case '<':
		dec := xmlx.NewDecoder(bytes.NewReader(trimmed))
		for {
			tok, err := dec.RawToken()
			if err != nil {
				return 0
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Local != "bom" {
					return 0
				}
				// RawToken leaves namespaces unresolved: look at the
				// default (or the root prefix's) namespace declaration.
				for _, a := range se.Attr {
					if (a.Name.Space == "" && a.Name.Local == "xmlns") ||
						(a.Name.Space == "xmlns" && a.Name.Local == se.Name.Space) {
						if bomNamespaceRe.MatchString(a.Value) {
							return 90
						}
					}
				}
				return 0
			}
		}
	}
	return 0
}

// Parse streams the BOM into sink.
func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	seeker, _ := r.(io.ReadSeeker)
	var start int64
	if seeker != nil {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seeker = nil
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	p := &parser{ctx: ctx, sink: sink, refs: map[string]compInfo{}}
	switch first {
	case '{':
		// The second pass needs to read the input again from the start.
		var reopen func() (io.Reader, error)
		if seeker != nil {
			reopen = func() (io.Reader, error) {
				if _, err := seeker.Seek(start, io.SeekStart); err != nil {
					return nil, report.AtOffset(-1, err)
				}
				br := bufio.NewReaderSize(seeker, 64<<10)
				if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
					_, _ = br.Discard(3)
				}
				return br, nil
			}
		}
		return p.parseJSON(br, reopen)
	case '<':
		return p.parseXML(br)
	}
	return report.Errorf(0, "not a CycloneDX BOM: expected a JSON object or an XML document, found %q", first)
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for i := 0; ; i++ {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, report.Errorf(int64(i), "empty input: expected a CycloneDX BOM")
			}
			return 0, report.AtOffset(int64(i), err)
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		_ = br.UnreadByte()
		return b, nil
	}
}
