package nikto

import (
	"context"
	"encoding/xml"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type xmlItem struct {
	ID         string `xml:"id,attr"`
	OSVDB      string `xml:"osvdbid,attr"`
	Method     string `xml:"method,attr"`
	Desc       string `xml:"description"`
	URI        string `xml:"uri"`
	References string `xml:"references"`
}

// parseXML streams <scandetails> elements and their <item>s.
func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	seen := webfinding.Assets{}
	groups := webfinding.NewGrouper()
	root := false
	var cur target
	known := false
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlx.Error(dec, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "niktoscan" {
				return xmlx.Errorf(dec, "expected a <niktoscan> root element, found <%s>", se.Name.Local)
			}
			root = true
			continue
		}
		switch se.Name.Local {
		case "scandetails":
			cur, known = xmlTarget(se)
			if !known {
				return xmlx.Errorf(dec, "Nikto <scandetails> without a usable sitename or target host")
			}
			if err := seen.Report(sink, cur.asset()); err != nil {
				return err
			}
		case "item":
			var it xmlItem
			if err := dec.DecodeElement(&it, &se); err != nil {
				return xmlx.Error(dec, err)
			}
			if !known {
				return xmlx.Errorf(dec, "Nikto <item> outside a <scandetails>")
			}
			add(groups, cur, item{id: it.ID, osvdb: it.OSVDB, method: it.Method, uri: it.URI, msg: cdataFix(it.Desc), refs: it.References})
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	}
	if !root {
		return xmlx.Errorf(dec, "empty document: expected a <niktoscan> report")
	}
	return groups.Flush(ctx, sink)
}

// xmlTarget reads the target of a <scandetails>: its sitename, else its
// host name and port.
func xmlTarget(se xml.StartElement) (target, bool) {
	get := func(name string) string {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				return strings.TrimSpace(a.Value)
			}
		}
		return ""
	}
	ip := get("targetip")
	port := get("targetport")
	if s, ok := webfinding.ParseSite(get("sitename"), schemeFor(port)); ok {
		return target{Site: s, ip: ip}, true
	}
	host := get("targethostname")
	if host == "" {
		host = ip
	}
	if host == "" || !validPort(port) {
		return target{}, false
	}
	s, ok := webfinding.ParseSite(schemeFor(port)+"://"+joinHostPort(host, port), "http")
	return target{Site: s, ip: ip}, ok
}

// cdataFix undoes a Nikto 2.1.6 bug that writes descriptions as
// <![CDATA[CDATA[text]]>, leaving a literal "CDATA[" in the text.
func cdataFix(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "CDATA["); ok {
		return strings.TrimSpace(strings.TrimSuffix(rest, "]"))
	}
	return s
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
