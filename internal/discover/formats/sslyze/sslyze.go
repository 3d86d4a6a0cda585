// Package sslyze parses SSLyze TLS scan results: the JSON output of SSLyze
// 1.x-4.x ("scan_commands_results"), of 5.x and later ("scan_result" with a
// status per scan command), and the XML output of SSLyze 1.x. Each scanned
// server is a host asset; weak protocols, cipher suites, renegotiation and
// certificate problems are misconfigurations on its TLS port, and the
// CVE-backed checks (Heartbleed, CCS injection, ROBOT, CRIME) are
// vulnerabilities.
package sslyze

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the SSLyze parser.
type Format struct{}

// New returns the SSLyze format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "sslyze" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string { return "SSLyze TLS scan results (JSON 1.x-6.x, XML 1.x)" }

// Detect recognizes SSLyze's JSON keys or its XML root.
func (Format) Detect(head []byte) int {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	switch trimmed[0] {
	case '{':
		if !bytes.Contains(head, []byte(`"server_scan_results"`)) {
			return 0
		}
		if bytes.Contains(head, []byte(`"sslyze_version"`)) || bytes.Contains(head, []byte(`"sslyze_url"`)) {
			return 100
		}
		return 70
	case '<':
		root, attrs := xmlx.RootElement(head)
		if root != "document" {
			return 0
		}
		for _, a := range attrs {
			if a.Name.Local == "SSLyzeVersion" || a.Name.Local == "SSLyzeWeb" {
				return 100
			}
		}
		if bytes.Contains(head, []byte("tlsWrappedProtocol=")) || bytes.Contains(head, []byte("SSLyze")) {
			return 80
		}
	}
	return 0
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return parseXML(ctx, br, sink)
	}
	return parseJSON(ctx, br, sink)
}

// BSI TR-02102-2 recommended suites: what is accepted beyond these lists is
// reported as "unrecommended" (the same rule DefectDojo applies).
var (
	tls12Recommended = set(
		"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
		"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
		"TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
		"TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
		"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_DHE_RSA_WITH_AES_128_CCM", "TLS_DHE_RSA_WITH_AES_256_CCM",
		"TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384",
		"TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384",
		"TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_DH_DSS_WITH_AES_128_CBC_SHA256", "TLS_DH_DSS_WITH_AES_256_CBC_SHA256",
		"TLS_DH_DSS_WITH_AES_128_GCM_SHA256", "TLS_DH_DSS_WITH_AES_256_GCM_SHA384",
		"TLS_DH_RSA_WITH_AES_128_CBC_SHA256", "TLS_DH_RSA_WITH_AES_256_CBC_SHA256",
		"TLS_DH_RSA_WITH_AES_128_GCM_SHA256", "TLS_DH_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
		"TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256",
		"TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384",
		"TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
		"TLS_DHE_PSK_WITH_AES_128_CCM", "TLS_DHE_PSK_WITH_AES_256_CCM",
		"TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384",
		"TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384",
	)
	tls13Recommended = set("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256")
)

const bsiReference = "https://www.bsi.bund.de/SharedDocs/Downloads/EN/BSI/Publications/TechGuidelines/TG02102/BSI-TR-02102-2.pdf"

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// protocol describes one SSL/TLS version scan command.
type protocol struct {
	jsonKey, xmlTag, label, rule string
	deprecated                   bool
	recommended                  map[string]bool
	severity                     model.Severity
}

var protocols = []protocol{
	{"ssl_2_0_cipher_suites", "sslv2", "SSL 2.0", "sslyze-ssl2-enabled", true, nil, model.SevHigh},
	{"ssl_3_0_cipher_suites", "sslv3", "SSL 3.0", "sslyze-ssl3-enabled", true, nil, model.SevHigh},
	{"tls_1_0_cipher_suites", "tlsv1", "TLS 1.0", "sslyze-tls10-enabled", true, nil, model.SevMedium},
	{"tls_1_1_cipher_suites", "tlsv1_1", "TLS 1.1", "sslyze-tls11-enabled", true, nil, model.SevMedium},
	{"tls_1_2_cipher_suites", "tlsv1_2", "TLS 1.2", "sslyze-tls12-unrecommended-ciphers", false, tls12Recommended, model.SevMedium},
	{"tls_1_3_cipher_suites", "tlsv1_3", "TLS 1.3", "sslyze-tls13-unrecommended-ciphers", false, tls13Recommended, model.SevMedium},
}

// target is one scanned server.
type target struct {
	host string
	ip   string
	port int
}

// issue is one problem found on a target, before it becomes an observation.
type issue struct {
	rule     string
	title    string
	desc     string
	sev      model.Severity
	cve      string
	cwe      string
	evidence string
	refs     []string
}

// checks gathers the issues of one target, whatever the output version.
type checks struct {
	heartbleed, ccs, robot, compression *bool
	robotResult                         string
	clientReneg, insecureReneg          bool
	renegKnown                          bool
	accepted                            map[string][]string // protocol json key -> accepted suites
	certProblems                        []string
}

func (c *checks) issues(t target) []issue {
	var out []issue
	where := net(t)
	if c.heartbleed != nil && *c.heartbleed {
		out = append(out, issue{rule: "sslyze-heartbleed", title: "OpenSSL Heartbleed", sev: model.SevHigh, cve: "CVE-2014-0160", cwe: "CWE-119",
			desc: where + " is vulnerable to Heartbleed: its OpenSSL heartbeat extension leaks process memory."})
	}
	if c.ccs != nil && *c.ccs {
		out = append(out, issue{rule: "sslyze-ccs-injection", title: "OpenSSL CCS injection", sev: model.SevHigh, cve: "CVE-2014-0224",
			desc: where + " is vulnerable to OpenSSL ChangeCipherSpec injection."})
	}
	if c.renegKnown && (c.clientReneg || c.insecureReneg) {
		var why []string
		if c.clientReneg {
			why = append(why, "client-initiated renegotiation is accepted (denial of service)")
		}
		if c.insecureReneg {
			why = append(why, "secure renegotiation (RFC 5746) is not supported")
		}
		out = append(out, issue{rule: "sslyze-session-renegotiation", title: "Insecure TLS session renegotiation", sev: model.SevMedium,
			desc: where + ": " + strings.Join(why, "; ") + "."})
	}
	for _, p := range protocols {
		suites := c.accepted[p.jsonKey]
		if len(suites) == 0 {
			continue
		}
		if p.deprecated {
			out = append(out, issue{rule: p.rule, title: p.label + " enabled", sev: p.severity, cwe: "CWE-327",
				desc:     where + " accepts " + p.label + " connections, a deprecated protocol version.",
				evidence: p.label + " cipher suites accepted:\n" + strings.Join(suites, "\n"),
				refs:     []string{bsiReference}})
			continue
		}
		var bad []string
		for _, s := range suites {
			if !p.recommended[s] {
				bad = append(bad, s)
			}
		}
		if len(bad) > 0 {
			out = append(out, issue{rule: p.rule, title: "Unrecommended cipher suites for " + p.label, sev: p.severity, cwe: "CWE-327",
				desc:     where + " accepts " + p.label + " cipher suites outside the BSI TR-02102-2 recommendations.",
				evidence: strings.Join(bad, "\n"),
				refs:     []string{bsiReference}})
		}
	}
	if len(c.certProblems) > 0 {
		out = append(out, issue{rule: "sslyze-certificate", title: "Certificate validation problems", sev: model.SevMedium, cwe: "CWE-295",
			desc:     where + " presents a certificate that does not validate.",
			evidence: strings.Join(c.certProblems, "\n")})
	}
	if c.robot != nil && *c.robot {
		out = append(out, issue{rule: "sslyze-robot", title: "ROBOT attack (RSA padding oracle)", sev: model.SevHigh, cve: "CVE-2017-13099",
			desc: where + " exposes an RSA padding oracle (ROBOT): " + c.robotResult + "."})
	}
	if c.compression != nil && *c.compression {
		out = append(out, issue{rule: "sslyze-compression", title: "TLS compression enabled (CRIME)", sev: model.SevMedium, cve: "CVE-2012-4929",
			desc: where + " supports TLS compression, which allows the CRIME attack."})
	}
	return out
}

func net(t target) string {
	return t.host + ":" + strconv.Itoa(t.port)
}

func emit(sink report.Sink, t target, issues []issue) error {
	asset, ok := hostRef(t)
	if !ok {
		return nil
	}
	if err := sink.Asset(asset); err != nil {
		return err
	}
	loc := model.Location{Port: t.port, Protocol: "tcp", Service: "tls"}
	if t.port == 443 || t.port == 8443 {
		loc.Service = "https"
		loc.URL = "https://" + urlHost(t.host)
		if t.port != 443 {
			loc.URL += ":" + strconv.Itoa(t.port)
		}
	}
	for _, is := range issues {
		f := model.Finding{
			Kind:        model.KindMisconfiguration,
			Title:       is.title,
			Description: is.desc,
			Severity:    is.sev,
			RuleID:      is.rule,
			Location:    loc,
			References:  is.refs,
		}
		if is.cve != "" {
			f.Kind = model.KindVulnerability
			f.VulnID, f.Aliases = report.VulnIDs(is.cve)
		}
		report.AddCWE(&f, is.cwe)
		toolID := is.rule
		if is.cve != "" {
			toolID = is.cve
		}
		if err := sink.Observe(report.Observation{
			Asset:    asset,
			ToolID:   toolID,
			Evidence: report.Truncate(is.evidence, 4096),
			Finding:  f,
		}); err != nil {
			return err
		}
	}
	return nil
}

func urlHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil && a.Is6() && !a.Is4In6() {
		return "[" + h + "]"
	}
	return h
}

func hostRef(t target) (report.AssetRef, bool) {
	ref := report.AssetRef{Kind: model.AssetHost}
	host := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(t.host), "."))
	if host != "" {
		ref.Name = host
		ref.Identifiers = append(ref.Identifiers, hostid.Of(host))
	}
	if ip := strings.TrimSpace(t.ip); ip != "" {
		id := hostid.Of(ip)
		if (id.Kind == model.IDIPv4 || id.Kind == model.IDIPv6) && (len(ref.Identifiers) == 0 || ref.Identifiers[0] != id) {
			ref.Identifiers = append(ref.Identifiers, id)
			if ref.Name == "" {
				ref.Name = id.Value
			}
		}
	}
	return ref, len(ref.Identifiers) > 0
}

// ---- JSON ----

type location struct {
	Hostname  string `json:"hostname"`
	IPAddress string `json:"ip_address"`
	Port      int    `json:"port"`
}

type serverResult struct {
	ServerInfo *struct {
		ServerLocation location `json:"server_location"`
	} `json:"server_info"`
	ServerLocation      *location                  `json:"server_location"`
	ScanCommandsResults map[string]json.RawMessage `json:"scan_commands_results"`
	ScanResult          map[string]json.RawMessage `json:"scan_result"`
}

func parseJSON(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(r)
	found := false
	err := js.Object(func(key string) error {
		if key != "server_scan_results" {
			return js.Skip()
		}
		found = true
		return js.Array(func(i int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var sr serverResult
			if err := js.Decode(&sr); err != nil {
				return err
			}
			return jsonServer(&sr, sink)
		})
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !found {
		return report.Errorf(js.Offset(), `expected an SSLyze JSON document with "server_scan_results"`)
	}
	return nil
}

func jsonServer(sr *serverResult, sink report.Sink) error {
	var loc location
	switch {
	case sr.ServerLocation != nil:
		loc = *sr.ServerLocation
	case sr.ServerInfo != nil:
		loc = sr.ServerInfo.ServerLocation
	}
	results := sr.ScanResult
	if results == nil {
		results = sr.ScanCommandsResults
	}
	if results == nil {
		// The server could not be reached: nothing was scanned, so it is
		// not covered either.
		return nil
	}
	t := target{host: loc.Hostname, ip: loc.IPAddress, port: loc.Port}
	c := &checks{accepted: map[string][]string{}}
	for key, raw := range results {
		res, ok := commandResult(raw)
		if !ok {
			continue
		}
		if err := c.jsonCommand(key, res); err != nil {
			return fmt.Errorf("scan command %s: %w", key, err)
		}
	}
	return emit(sink, t, c.issues(t))
}

// commandResult unwraps SSLyze 5's {"status": ..., "result": {...}}; older
// versions hold the result directly. Commands that did not complete
// ("NOT_SCHEDULED", "ERROR") or are null give nothing.
func commandResult(raw json.RawMessage) (json.RawMessage, bool) {
	raw = json.RawMessage(bytes.TrimSpace(raw))
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var wrapped struct {
		Status *string          `json:"status"`
		Result *json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, false
	}
	if wrapped.Status != nil {
		if *wrapped.Status != "COMPLETED" || wrapped.Result == nil {
			return nil, false
		}
		return *wrapped.Result, true
	}
	return raw, true
}

type cipherEntry struct {
	CipherSuite struct {
		Name string `json:"name"`
	} `json:"cipher_suite"`
	Name string `json:"name"` // SSLyze 2.x wrote the name at this level
}

type pathValidation struct {
	OpenSSLError *string `json:"openssl_error_string"`
	Successful   *bool   `json:"was_validation_successful"`
	TrustStore   struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"trust_store"`
}

func (c *checks) jsonCommand(key string, res json.RawMessage) error {
	switch key {
	case "heartbleed":
		var v struct {
			Vulnerable *bool `json:"is_vulnerable_to_heartbleed"`
		}
		if err := json.Unmarshal(res, &v); err != nil {
			return err
		}
		c.heartbleed = v.Vulnerable
	case "openssl_ccs_injection":
		var v struct {
			Vulnerable *bool `json:"is_vulnerable_to_ccs_injection"`
		}
		if err := json.Unmarshal(res, &v); err != nil {
			return err
		}
		c.ccs = v.Vulnerable
	case "session_renegotiation":
		var v struct {
			AcceptsClient *bool `json:"accepts_client_renegotiation"`
			ClientDoS     *bool `json:"is_vulnerable_to_client_renegotiation_dos"`
			Secure        *bool `json:"supports_secure_renegotiation"`
		}
		if err := json.Unmarshal(res, &v); err != nil {
			return err
		}
		c.renegKnown = v.Secure != nil || v.AcceptsClient != nil || v.ClientDoS != nil
		c.clientReneg = (v.AcceptsClient != nil && *v.AcceptsClient) || (v.ClientDoS != nil && *v.ClientDoS)
		c.insecureReneg = v.Secure != nil && !*v.Secure
	case "robot":
		var v struct {
			Result string `json:"robot_result"`
		}
		if err := json.Unmarshal(res, &v); err != nil {
			return err
		}
		vuln := strings.HasPrefix(v.Result, "VULNERABLE")
		c.robot, c.robotResult = &vuln, v.Result
	case "tls_compression":
		var v struct {
			Supported *bool `json:"supports_compression"`
		}
		if err := json.Unmarshal(res, &v); err != nil {
			return err
		}
		c.compression = v.Supported
	case "certificate_info":
		var v struct {
			Deployments []struct {
				Matches *bool            `json:"leaf_certificate_subject_matches_hostname"`
				Paths   []pathValidation `json:"path_validation_results"`
			} `json:"certificate_deployments"`
		}
		if err := json.Unmarshal(res, &v); err != nil {
			return err
		}
		for _, d := range v.Deployments {
			if d.Matches != nil && !*d.Matches {
				c.certProblems = append(c.certProblems, "certificate subject does not match the host name")
			}
			for _, p := range d.Paths {
				msg := ""
				switch {
				case p.OpenSSLError != nil && *p.OpenSSLError != "":
					msg = *p.OpenSSLError
				case p.Successful != nil && !*p.Successful:
					msg = "validation failed"
				default:
					continue
				}
				if p.TrustStore.Name != "" {
					msg += " (trust store " + strings.TrimSpace(p.TrustStore.Name+" "+p.TrustStore.Version) + ")"
				}
				c.certProblems = append(c.certProblems, msg)
			}
		}
	default:
		for _, p := range protocols {
			if p.jsonKey != key {
				continue
			}
			var v struct {
				Accepted []cipherEntry `json:"accepted_cipher_suites"`
			}
			if err := json.Unmarshal(res, &v); err != nil {
				return err
			}
			for _, a := range v.Accepted {
				name := a.CipherSuite.Name
				if name == "" {
					name = a.Name
				}
				if name != "" {
					c.accepted[key] = append(c.accepted[key], name)
				}
			}
		}
	}
	return nil
}

// ---- XML (SSLyze 1.x --xml_out) ----

type xCipher struct {
	Name string `xml:"name,attr"`
}

type xTarget struct {
	Host  string `xml:"host,attr"`
	IP    string `xml:"ip,attr"`
	Port  string `xml:"port,attr"`
	Items []xAny `xml:",any"`
}

// xAny is one scan command element, kept generic: SSLyze 1.x names the
// element after the command and nests the result one level down.
type xAny struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xAny     `xml:",any"`
}

func (x *xAny) attr(name string) string {
	for _, a := range x.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (x *xAny) child(name string) *xAny {
	for i := range x.Children {
		if x.Children[i].XMLName.Local == name {
			return &x.Children[i]
		}
	}
	return nil
}

func boolPtr(s string) *bool {
	switch strings.ToLower(s) {
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	return nil
}

func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	var stack []string
	root := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlx.TruncatedError(dec, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !root {
				if t.Name.Local != "document" {
					return xmlx.Errorf(dec, "expected an SSLyze <document> root element, found <%s>", t.Name.Local)
				}
				root = true
			}
			if t.Name.Local == "target" && len(stack) > 0 && stack[len(stack)-1] == "results" {
				var x xTarget
				if err := dec.DecodeElement(&x, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				if err := xmlTarget(&x, sink); err != nil {
					return err
				}
				continue
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if !root {
		return report.AtLine(1, 1, errors.New("expected an SSLyze XML <document>"))
	}
	return nil
}

func xmlTarget(x *xTarget, sink report.Sink) error {
	port, _ := strconv.Atoi(strings.TrimSpace(x.Port))
	t := target{host: x.Host, ip: x.IP, port: port}
	c := &checks{accepted: map[string][]string{}}
	for i := range x.Items {
		it := &x.Items[i]
		switch it.XMLName.Local {
		case "heartbleed":
			if e := it.child("openSslHeartbleed"); e != nil {
				c.heartbleed = boolPtr(e.attr("isVulnerable"))
			}
		case "openssl_ccs":
			if e := it.child("openSslCcsInjection"); e != nil {
				c.ccs = boolPtr(e.attr("isVulnerable"))
			}
		case "reneg":
			if e := it.child("sessionRenegotiation"); e != nil {
				secure := boolPtr(e.attr("isSecure"))
				client := boolPtr(e.attr("canBeClientInitiated"))
				c.renegKnown = secure != nil || client != nil
				c.insecureReneg = secure != nil && !*secure
				c.clientReneg = client != nil && *client
			}
		case "robot":
			if e := it.child("robotAttack"); e != nil {
				res := e.attr("resultEnum")
				vuln := strings.HasPrefix(res, "VULNERABLE")
				c.robot, c.robotResult = &vuln, res
			}
		case "compression":
			if e := it.child("compressionMethod"); e != nil {
				c.compression = boolPtr(e.attr("isSupported"))
			}
		case "certinfo":
			if v := it.child("certificateValidation"); v != nil {
				for _, ch := range v.Children {
					switch ch.XMLName.Local {
					case "hostnameValidation":
						if ch.attr("certificateMatchesServerHostname") == "False" {
							c.certProblems = append(c.certProblems, "certificate subject does not match the host name")
						}
					case "pathValidation":
						if res := ch.attr("validationResult"); res != "" && !strings.EqualFold(res, "ok") {
							c.certProblems = append(c.certProblems, res+" (trust store "+strings.TrimSpace(ch.attr("usingTrustStore")+" "+ch.attr("trustStoreVersion"))+")")
						}
					}
				}
			}
		default:
			for _, p := range protocols {
				if p.xmlTag != it.XMLName.Local || it.attr("isProtocolSupported") != "True" {
					continue
				}
				if acc := it.child("acceptedCipherSuites"); acc != nil {
					for _, cs := range acc.Children {
						if name := cs.attr("name"); name != "" {
							c.accepted[p.jsonKey] = append(c.accepted[p.jsonKey], name)
						}
					}
				}
			}
		}
	}
	return emit(sink, t, c.issues(t))
}
