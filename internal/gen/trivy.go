package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Image is a fictional container image.
type Image struct {
	Ref    string // registry/repo:tag
	ID     string // sha256:...
	Digest string // sha256:... (repo digest)
}

// Images makes n images.
func Images(n int, registry string) []Image {
	out := make([]Image, n)
	for i := range out {
		out[i] = Image{
			Ref:    fmt.Sprintf("%s/team%d/service-%d:1.%d", registry, i%12, i, i%9),
			ID:     fmt.Sprintf("sha256:%064x", 0xabc000+i),
			Digest: fmt.Sprintf("sha256:%064x", 0xdef000+i),
		}
	}
	return out
}

type trivyVuln struct {
	VulnerabilityID  string                    `json:"VulnerabilityID"`
	PkgName          string                    `json:"PkgName"`
	InstalledVersion string                    `json:"InstalledVersion"`
	FixedVersion     string                    `json:"FixedVersion,omitempty"`
	Severity         string                    `json:"Severity"`
	Title            string                    `json:"Title"`
	CVSS             map[string]map[string]any `json:"CVSS,omitempty"`
}

// WriteTrivy writes a Trivy JSON (schema 2) report for one image.
func WriteTrivy(w io.Writer, img Image, vulns []Vuln) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	head := map[string]any{"SchemaVersion": 2, "ArtifactName": img.Ref, "ArtifactType": "container_image",
		"Metadata": map[string]any{"OS": map[string]string{"Family": "debian", "Name": "12.5"}, "ImageID": img.ID,
			"RepoTags": []string{img.Ref}, "RepoDigests": []string{repoOf(img.Ref) + "@" + img.Digest}}}
	hb, _ := json.Marshal(head)
	bw.Write(hb[:len(hb)-1])
	fmt.Fprintf(bw, `,"Results":[{"Target":%q,"Class":"os-pkgs","Type":"debian","Vulnerabilities":[`, img.Ref+" (debian 12.5)")
	enc := json.NewEncoder(bw)
	for i, v := range vulns {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(trivyVuln{VulnerabilityID: v.CVE, PkgName: v.Package, InstalledVersion: "0.9.1", FixedVersion: v.Fixed,
			Severity: upper(v.Severity), Title: v.Title, CVSS: map[string]map[string]any{"nvd": {"V3Vector": v.Vector, "V3Score": v.Score}}}); err != nil {
			return err
		}
	}
	bw.WriteString("]}]}\n")
	return bw.Flush()
}

// WriteGrype writes a Grype JSON report for one image.
func WriteGrype(w io.Writer, img Image, vulns []Vuln) error {
	type match struct {
		Vulnerability map[string]any   `json:"vulnerability"`
		Related       []map[string]any `json:"relatedVulnerabilities"`
		MatchDetails  []map[string]any `json:"matchDetails"`
		Artifact      map[string]any   `json:"artifact"`
	}
	var ms []match
	for _, v := range vulns {
		ms = append(ms, match{
			Vulnerability: map[string]any{"id": v.CVE, "severity": v.Severity, "fix": map[string]any{"versions": []string{v.Fixed}, "state": "fixed"},
				"cvss": []map[string]any{{"version": "3.1", "vector": v.Vector, "metrics": map[string]any{"baseScore": v.Score}}}},
			Related:      []map[string]any{},
			MatchDetails: []map[string]any{{"type": "exact-direct-match", "matcher": "dpkg-matcher"}},
			Artifact: map[string]any{"name": v.Package, "version": "0.9.1", "type": "deb", "locations": []map[string]string{{"path": "/var/lib/dpkg/status"}},
				"purl": "pkg:deb/debian/" + v.Package + "@0.9.1?distro=debian-12"},
		})
	}
	doc := map[string]any{"matches": ms, "source": map[string]any{"type": "image", "target": map[string]any{
		"userInput": img.Ref, "imageID": img.ID, "tags": []string{img.Ref}, "repoDigests": []string{repoOf(img.Ref) + "@" + img.Digest}}},
		"descriptor": map[string]string{"name": "grype", "version": "0.74.0"}}
	enc := json.NewEncoder(w)
	return enc.Encode(doc)
}

func repoOf(ref string) string {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == ':' {
			return ref[:i]
		}
		if ref[i] == '/' {
			break
		}
	}
	return ref
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
