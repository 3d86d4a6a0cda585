// Package imageref reads container image references and digests the way
// the image scanners (Trivy, Grype) write them, so both tools name the same
// image alike.
package imageref

import (
	"regexp"
	"strings"
)

// Digest returns the "sha256:..." part of "repo@sha256:..." or of a bare
// digest, or "" when s holds no digest.
func Digest(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	alg, val, ok := strings.Cut(s, ":")
	if !ok || val == "" || strings.ContainsAny(val, " \t/") {
		return ""
	}
	switch strings.ToLower(alg) {
	case "sha256", "sha384", "sha512":
		return s
	}
	return ""
}

var refRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$`)

// Ref returns s, without a transport prefix ("docker:", "registry:"...),
// when it reads as an image reference (repo, repo:tag, registry/repo:tag,
// repo@digest); "" for archive paths, directories, other transports that
// name a file rather than an image, and bare digests.
func Ref(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"docker://", "docker:", "podman:", "registry:", "containerd:"} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	if s == "" || !refRe.MatchString(s) || strings.Contains(s, "://") {
		return ""
	}
	low := strings.ToLower(s)
	for _, suf := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst", ".json", ".xml", ".txt", ".yaml", ".yml", ".lock"} {
		if strings.HasSuffix(low, suf) {
			return ""
		}
	}
	for _, p := range []string{"docker-archive:", "oci-archive:", "oci-dir:", "dir:", "file:", "sbom:", "singularity:"} {
		if strings.HasPrefix(low, p) {
			return ""
		}
	}
	// A bare digest is an image id or digest, not a reference.
	if Digest(s) == s {
		return ""
	}
	return s
}
