// Package webtext turns the text web application scanners write (HTML
// fragments in issue descriptions, raw HTTP messages) into plain text for
// findings: tags to line breaks, links, a message's first line.
package webtext

import (
	"html"
	"regexp"
	"strings"
)

var (
	tagRe   = regexp.MustCompile(`(?s)<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)
	hrefRe  = regexp.MustCompile(`(?i)href\s*=\s*["']([^"']+)["']`)
	urlRe   = regexp.MustCompile(`https?://[^\s<>"'\])]+`)
	spaceRe = regexp.MustCompile(`[ \t\r\f\v\x{00a0}]+`)
	blankRe = regexp.MustCompile(`\n{3,}`)
)

// FromHTML turns the HTML fragments scanners put in their descriptions into
// plain text: block tags become line breaks, other tags go, entities are
// decoded and runs of blanks shrink to one.
func FromHTML(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return Tidy(s)
	}
	s = tagRe.ReplaceAllStringFunc(s, func(tag string) string {
		m := tagRe.FindStringSubmatch(tag)
		switch name := strings.ToLower(m[2]); {
		case name == "li":
			if m[1] == "" {
				return "\n- "
			}
		case name == "p", name == "br", name == "div", name == "ul", name == "ol", name == "tr",
			name == "h1", name == "h2", name == "h3", name == "h4", name == "pre", name == "table":
			return "\n"
		}
		return ""
	})
	return Tidy(html.UnescapeString(s))
}

// Tidy trims every line and drops runs of blank lines.
func Tidy(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spaceRe.ReplaceAllString(l, " "))
	}
	return strings.TrimSpace(blankRe.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// Links returns the URLs in s, from href attributes or bare text, once each.
func Links(s string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		u = strings.TrimRight(html.UnescapeString(strings.TrimSpace(u)), ".,;")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") || seen[u] {
			return
		}
		seen[u] = true
		out = append(out, u)
	}
	for _, m := range hrefRe.FindAllStringSubmatch(s, -1) {
		add(m[1])
	}
	for _, m := range urlRe.FindAllString(s, -1) {
		add(m)
	}
	return out
}

// FirstLine is the first non-blank line of s: a request or status line.
func FirstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
