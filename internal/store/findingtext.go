package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
)

// FindingText is a finding's descriptive text, which the store keeps once
// per distinct content: a scanner repeats a vulnerability's title,
// description, remediation and references on every host it finds it on
// (a Nessus plugin's text or a Trivy advisory is kilobytes, a million times
// over in a large estate), and findings refer to the one copy.
type FindingText struct {
	Title, Description, Remediation string
	References                      string // JSON, as FindingJSON.References
}

// Digest identifies the text's content: 32 hex digits of DigestFields.
func (t FindingText) Digest() string {
	return DigestFields(16, t.Title, t.Description, t.Remediation, t.References)
}

// DigestFields is the hex of the first size bytes of a SHA-256 of fields,
// each prefixed with its length (uvarint), so that no two lists of fields
// share a digest by moving characters from one field to the next.
func DigestFields(size int, fields ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, field := range fields {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(field)))])
		io.WriteString(h, field)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:size])
}
