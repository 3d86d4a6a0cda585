package discover

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// findingKey is the per-kind identity recipe of a finding, without its
// asset (model.Fingerprint adds the asset). The recipes are documented in
// docs/ingest.md; change them only with a migration that re-keys findings.
//
//	vulnerability on a host:      vuln|<vuln id>            (a package scanner and a
//	                                                          network scanner agree)
//	vulnerability elsewhere:      vuln|<vuln id>|<package>  (no version: an upgrade
//	                                                          that still has it is the same)
//	vulnerability, no vuln id:    check|<source>:<tool id>|<port>/<protocol>
//	exposed service:              service|<port>/<protocol>
//	code weakness:                code|<rule>|<file>|<content anchor>   (no line number)
//	secret:                       secret|<rule>|<file>|<keyed hash of the secret>
//	misconfiguration:             misconfig|<rule>|<resource or file>
//	web weakness:                 web|<rule>|<method> <URL template>|<parameter>
//	identity weakness:            identity|<rule>|<resource>
func findingKey(source string, assetKind model.AssetKind, o *report.Observation, secretKey []byte) string {
	f := &o.Finding
	rule := firstNonEmpty(f.RuleID, o.ToolID, f.Title)
	loc := f.Location
	switch f.Kind {
	case model.KindVulnerability:
		if f.VulnID == "" {
			return "check|" + source + ":" + firstNonEmpty(o.ToolID, f.RuleID, f.Title) + "|" + portKey(loc)
		}
		if assetKind == model.AssetHost || f.Component.Name == "" {
			return "vuln|" + f.VulnID
		}
		return "vuln|" + f.VulnID + "|" + packageKey(f.Component)
	case model.KindExposedService:
		return "service|" + portKey(loc)
	case model.KindCodeWeakness:
		return "code|" + rule + "|" + loc.File + "|" + anchorOf(o)
	case model.KindSecret:
		anchor := o.Anchor
		if o.Secret != "" {
			m := hmac.New(sha256.New, secretKey)
			m.Write([]byte(o.Secret))
			anchor = "hmac:" + hex.EncodeToString(m.Sum(nil)[:16])
		}
		if anchor == "" {
			anchor = "line:" + strconv.Itoa(loc.Line)
		}
		return "secret|" + rule + "|" + loc.File + "|" + anchor
	case model.KindMisconfiguration:
		return "misconfig|" + rule + "|" + firstNonEmpty(loc.Resource, loc.File, loc.URL, portKey(loc))
	case model.KindWebWeakness:
		return "web|" + rule + "|" + strings.ToUpper(loc.Method) + " " + urlTemplate(loc.URL) + "|" + loc.Param
	case model.KindIdentityWeakness:
		return "identity|" + rule + "|" + loc.Resource
	}
	return string(f.Kind) + "|" + rule + "|" + loc.File + loc.Resource + loc.URL + "|" + portKey(loc)
}

func portKey(l model.Location) string {
	if l.Port == 0 && l.Protocol == "" {
		return ""
	}
	return strconv.Itoa(l.Port) + "/" + strings.ToLower(l.Protocol)
}

func packageKey(c model.Component) string {
	name := strings.ToLower(c.Name)
	if c.Ecosystem != "" {
		return strings.ToLower(c.Ecosystem) + ":" + name
	}
	return name
}

// anchorOf is a code finding's line-free identity: the tool's anchor, else a
// hash of its title (a message naming the code rather than the line).
func anchorOf(o *report.Observation) string {
	if o.Anchor != "" {
		return o.Anchor
	}
	h := sha256.Sum256([]byte(o.Finding.Title + "\x00" + o.Finding.Location.Resource))
	return "title:" + hex.EncodeToString(h[:8])
}

var (
	numberSeg = regexp.MustCompile(`^\d+$`)
	uuidSeg   = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hexSeg    = regexp.MustCompile(`(?i)^[0-9a-f]{16,}$`)
)

// urlTemplate turns a URL into its template: ids in the path become {id},
// query values are dropped and the parameter names sorted, so
// /users/42?b=1&a=2 and /users/7?a=9&b=3 are one endpoint.
func urlTemplate(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return raw
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if numberSeg.MatchString(s) || uuidSeg.MatchString(s) || hexSeg.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	out := strings.ToLower(u.Scheme+"://"+u.Host) + strings.Join(segs, "/")
	if q := u.Query(); len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out += "?" + strings.Join(keys, "&")
	}
	return out
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if s := strings.TrimSpace(v); s != "" {
			return s
		}
	}
	return ""
}
