package gen

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
)

// NessusSpec describes a Nessus scan.
type NessusSpec struct {
	Hosts []Host
	// Findings returns the vulnerabilities of host i.
	Findings func(i int) []Vuln
}

func esc(s string) string {
	var b []byte
	w := &byteWriter{b: b}
	xml.EscapeText(w, []byte(s))
	return string(w.b)
}

type byteWriter struct{ b []byte }

func (w *byteWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// WriteNessus writes a .nessus (v2) report, one plugin result per
// vulnerability of each host.
func WriteNessus(w io.Writer, s NessusSpec) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprint(bw, `<?xml version="1.0" ?>`+"\n"+`<NessusClientData_v2>`+"\n"+`<Report name="ctem-generated" xmlns:cm="http://www.nessus.org/cm">`+"\n")
	for i, h := range s.Hosts {
		fmt.Fprintf(bw, "<ReportHost name=\"%s\"><HostProperties>\n<tag name=\"host-ip\">%s</tag>\n<tag name=\"host-fqdn\">%s</tag>\n<tag name=\"netbios-name\">%s</tag>\n<tag name=\"operating-system\">%s</tag>\n</HostProperties>\n",
			h.IP, h.IP, h.FQDN, h.Name, esc(h.OS))
		for _, v := range s.Findings(i) {
			fmt.Fprintf(bw, `<ReportItem port="0" svc_name="general" protocol="tcp" severity="%d" pluginID="%d" pluginName="%s" pluginFamily="General">`+"\n",
				sevNumber(v.Severity), v.Plugin, esc(v.Title))
			fmt.Fprintf(bw, "<cve>%s</cve>\n<cvss3_base_score>%.1f</cvss3_base_score>\n<cvss3_vector>%s</cvss3_vector>\n<risk_factor>%s</risk_factor>\n",
				v.CVE, round1(v.Score), v.Vector, v.Severity)
			fmt.Fprintf(bw, "<synopsis>The remote host is affected by %s.</synopsis>\n<solution>Upgrade %s to %s or later.</solution>\n<plugin_output>Installed package : %s\nFixed package     : %s-%s</plugin_output>\n</ReportItem>\n",
				v.CVE, v.Package, v.Fixed, v.Package, v.Package, v.Fixed)
		}
		fmt.Fprint(bw, "</ReportHost>\n")
	}
	fmt.Fprint(bw, "</Report>\n</NessusClientData_v2>\n")
	return bw.Flush()
}
