package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// WriteNmap writes an nmap XML scan of hosts (addresses only, as a network
// scan without DNS sees them) with the given open TCP ports.
func WriteNmap(w io.Writer, hosts []Host, ports map[int]string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<nmaprun scanner="nmap" args="nmap -sV -oX scan.xml 10.0.0.0/24" start="1767225600" version="7.94" xmloutputversion="1.05">`+"\n")
	for _, h := range hosts {
		fmt.Fprintf(bw, `<host starttime="1767225600" endtime="1767225660"><status state="up" reason="syn-ack"/><address addr="%s" addrtype="ipv4"/><hostnames></hostnames><ports>`+"\n", h.IP)
		for _, p := range sortedPorts(ports) {
			fmt.Fprintf(bw, `<port protocol="tcp" portid="%d"><state state="open" reason="syn-ack"/><service name="%s" method="probed" conf="10"/></port>`+"\n", p, ports[p])
		}
		fmt.Fprint(bw, "</ports></host>\n")
	}
	fmt.Fprint(bw, `<runstats><finished time="1767225700" elapsed="100" exit="success"/></runstats></nmaprun>`+"\n")
	return bw.Flush()
}

func sortedPorts(m map[int]string) []int {
	var out []int
	for p := range m {
		out = append(out, p)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// CodeIssue is one static-analysis result.
type CodeIssue struct {
	Rule, Title, File, Snippet string
	Line, CWE                  int
	Severity                   float64 // security-severity
}

// WriteSARIF writes a SARIF 2.1.0 log of one repository.
func WriteSARIF(w io.Writer, repoURL string, issues []CodeIssue) error {
	type msg struct {
		Text string `json:"text"`
	}
	rules := []map[string]any{}
	seen := map[string]bool{}
	var results []map[string]any
	for _, is := range issues {
		if !seen[is.Rule] {
			seen[is.Rule] = true
			rules = append(rules, map[string]any{"id": is.Rule, "shortDescription": msg{is.Title},
				"properties": map[string]any{"tags": []string{"security", fmt.Sprintf("external/cwe/cwe-%03d", is.CWE)}, "security-severity": fmt.Sprintf("%.1f", is.Severity)}})
		}
		results = append(results, map[string]any{"ruleId": is.Rule, "level": "error", "message": msg{is.Title + "."},
			"locations": []map[string]any{{"physicalLocation": map[string]any{"artifactLocation": map[string]string{"uri": is.File},
				"region": map[string]any{"startLine": is.Line, "snippet": msg{is.Snippet}}}}}})
	}
	doc := map[string]any{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []map[string]any{{
		"tool": map[string]any{"driver": map[string]any{"name": "CodeQL", "rules": rules}}, "versionControlProvenance": []map[string]string{{"repositoryUri": repoURL}},
		"results": results}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(doc)
}
