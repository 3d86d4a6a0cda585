// Package burpissue reads what the Burp Suite formats (the XML issues
// export and the REST API's issue events) write alike in an issue.
package burpissue

import (
	"regexp"
	"strings"
)

var paramRe = regexp.MustCompile(`\s\[([^\[\]]+) (?:parameter|cookie|header)\]\s*$`)

// Param reads the input Burp names at the end of a location or caption:
// "/p [id parameter]", "/p [b_id cookie]", "/p [email JSON parameter]",
// "/p [x XML attribute within the name parameter]". Descriptions such as
// "[name of an arbitrarily supplied URL parameter]" name no input: "".
func Param(loc string) string {
	m := paramRe.FindStringSubmatch(loc)
	if m == nil {
		return ""
	}
	p := m[1]
	if i := strings.LastIndex(p, " within the "); i >= 0 {
		p = p[i+len(" within the "):]
	}
	f := strings.Fields(p)
	switch {
	case len(f) == 1:
		return f[0]
	case len(f) == 2 && (f[1] == "JSON" || f[1] == "XML" || f[1] == "URL" || f[1] == "body" || f[1] == "multipart"):
		return f[0]
	}
	return ""
}
