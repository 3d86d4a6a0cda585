// Package msdefender parses Microsoft Defender for Endpoint (Defender
// Vulnerability Management) exports: the vulnerabilities API JSON
// ({"value":[{cveId, machineId, productName...}]}) and the zip holding
// machines/*.json and vulnerabilities/*.json pulled from the API. Each
// vulnerability row is one observation on one device (a host asset); the
// machines files, when present, name the device and give its addresses.
package msdefender

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the Microsoft Defender for Endpoint parser.
type Format struct{}

// New returns the Microsoft Defender for Endpoint format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "ms_defender" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string {
	return "Microsoft Defender for Endpoint vulnerabilities JSON, or zip of machines/ and vulnerabilities/ JSON"
}

// Limits on the zip form: the whole archive is read into memory (zip needs
// random access), so its size, entry count and each entry's inflated size
// are bounded; entry sizes are counted while inflating, never taken from
// the headers.
const (
	maxZipBytes   = 256 << 20
	maxEntries    = 1000
	maxEntryBytes = 256 << 20
	maxTotalBytes = 1 << 30
)

var zipMagic = []byte("PK\x03\x04")

// Detect recognizes the zip by the entry names in its local file headers
// (machines/, vulnerabilities/) and the JSON by the API's field names.
func (Format) Detect(head []byte) int {
	if bytes.HasPrefix(head, zipMagic) {
		vulns, machines := false, false
		for _, name := range localNames(head) {
			switch {
			case strings.HasPrefix(name, "vulnerabilities/"):
				vulns = true
			case strings.HasPrefix(name, "machines/"):
				machines = true
			}
		}
		switch {
		case vulns && machines:
			return 100
		case vulns || machines:
			return 70
		}
		return 0
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return 0
	}
	if !bytes.Contains(head, []byte(`"value"`)) {
		return 0
	}
	odata := bytes.Contains(head, []byte(`"@odata.context"`))
	if odata && bytes.Contains(head, []byte(`#Machines"`)) {
		return 0 // a machines list alone carries no finding
	}
	if bytes.Contains(head, []byte(`"cveId"`)) && bytes.Contains(head, []byte(`"machineId"`)) {
		if odata || bytes.Contains(head, []byte(`"productName"`)) {
			return 95
		}
		return 60
	}
	// An empty page of the Defender API: no field names to go by, but the
	// OData context names the service.
	service := bytes.Contains(head, []byte("securitycenter.")) || bytes.Contains(head, []byte("security.microsoft.com"))
	empty := bytes.Contains(head, []byte(`"value": []`)) || bytes.Contains(head, []byte(`"value":[]`))
	if odata && service && empty {
		return 50
	}
	return 0
}

// localNames lists the entry names of the zip local file headers found in
// head (the first ones of the archive).
func localNames(head []byte) []string {
	var names []string
	for off := 0; off+30 <= len(head); {
		i := bytes.Index(head[off:], zipMagic)
		if i < 0 {
			break
		}
		start := off + i
		off = start + 4
		if start+30 > len(head) {
			break
		}
		n := int(binary.LittleEndian.Uint16(head[start+26:]))
		if n == 0 || start+30+n > len(head) {
			continue
		}
		names = append(names, string(head[start+30:start+30+n]))
	}
	return names
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	if bytes.Equal(head, zipMagic) {
		return parseZip(ctx, br, sink)
	}
	p := &parser{sink: sink, seen: map[string]bool{}, reported: map[string]bool{}}
	return p.vulnerabilities(ctx, br, "")
}

type ipAddress struct {
	IP     string `json:"ipAddress"`
	MAC    string `json:"macAddress"`
	Type   string `json:"type"`
	Status string `json:"operationalStatus"`
}

// machine is the part of a Defender device record ctem keeps.
type machine struct {
	ID             string   `json:"id"`
	DNSName        *string  `json:"computerDnsName"`
	OSPlatform     *string  `json:"osPlatform"`
	OSVersion      *string  `json:"version"`
	LastIP         *string  `json:"lastIpAddress"`
	LastExternalIP *string  `json:"lastExternalIpAddress"`
	AADDeviceID    *string  `json:"aadDeviceId"`
	ExposureLevel  *string  `json:"exposureLevel"`
	RBACGroupName  *string  `json:"rbacGroupName"`
	Tags           []string `json:"machineTags"`
	IPAddresses    []any    `json:"ipAddresses"`
}

type vulnerability struct {
	ID             string  `json:"id"`
	CVE            *string `json:"cveId"`
	MachineID      string  `json:"machineId"`
	FixingKB       *string `json:"fixingKbId"`
	ProductName    *string `json:"productName"`
	ProductVendor  *string `json:"productVendor"`
	ProductVersion *string `json:"productVersion"`
	Severity       *string `json:"severity"`
}

type parser struct {
	sink     report.Sink
	machines map[string]*machine
	seen     map[string]bool // vulnerability id already emitted
	reported map[string]bool // machine ids whose asset was reported
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// vulnerabilities streams one {"value":[...]} document. entry names the
// zip entry for error messages ("" for a plain JSON file).
func (p *parser) vulnerabilities(ctx context.Context, r io.Reader, entry string) error {
	js := report.NewJSONStream(r)
	found := false
	err := js.Object(func(key string) error {
		if key != "value" {
			return js.Skip()
		}
		found = true
		return js.Array(func(i int) error {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var v vulnerability
			if err := js.Decode(&v); err != nil {
				return err
			}
			return p.emit(&v)
		})
	})
	if err == nil {
		err = js.End()
	}
	if err == nil && !found {
		err = report.Errorf(js.Offset(), `expected a "value" array of Defender vulnerabilities`)
	}
	return inEntry(entry, err)
}

func inEntry(entry string, err error) error {
	if err == nil || entry == "" {
		return err
	}
	var pe *report.ParseError
	if errors.As(err, &pe) {
		return &report.ParseError{Offset: pe.Offset, Line: pe.Line, Column: pe.Column, Err: fmt.Errorf("zip entry %s: %w", entry, pe.Err)}
	}
	return err
}

func (p *parser) emit(v *vulnerability) error {
	if v.MachineID == "" {
		// JSONStream places this error at the current offset.
		return fmt.Errorf("vulnerability %q has no machineId", v.ID)
	}
	asset := p.asset(v.MachineID)
	if !p.reported[v.MachineID] {
		p.reported[v.MachineID] = true
		if err := p.sink.Asset(asset); err != nil {
			return err
		}
	}
	cve, name, vendor, version := str(v.CVE), str(v.ProductName), str(v.ProductVendor), str(v.ProductVersion)
	key := v.ID
	if key == "" {
		key = strings.Join([]string{v.MachineID, cve, vendor, name, version}, "-_-")
	}
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true

	f := model.Finding{
		Kind:     model.KindVulnerability,
		Severity: report.SeverityOr(str(v.Severity), model.SevInfo),
		Component: model.Component{
			Name:    name,
			Version: version,
		},
	}
	f.VulnID, f.Aliases = report.VulnIDs(cve)
	product := strings.TrimSpace(strings.Join(nonEmpty(vendor, name, version), " "))
	switch {
	case cve != "" && product != "":
		f.Title = cve + " in " + product
	case cve != "":
		f.Title = cve
	default:
		f.Title = "Vulnerable software: " + product
	}
	if product != "" {
		f.Description = "Vulnerable software: " + product
	}
	if kb := str(v.FixingKB); kb != "" {
		if !strings.HasPrefix(strings.ToUpper(kb), "KB") {
			kb = "KB" + kb
		}
		f.Remediation = "Install " + kb + "."
	}
	toolID := cve
	if toolID == "" {
		toolID = v.ID
	}
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       toolID,
		ToolSeverity: str(v.Severity),
		Evidence:     report.Truncate(v.ID, 4096),
		Finding:      f,
	})
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

var hostnameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$`)

// asset builds the device reference: Defender's machine id always (the one
// identifier both files share), and the DNS name, last internal address,
// MACs and Entra device id when the machines file has the device.
func (p *parser) asset(id string) report.AssetRef {
	ref := report.AssetRef{
		Kind:        model.AssetHost,
		Name:        id,
		Identifiers: []model.Identifier{{Kind: model.IDCloudID, Value: id}},
	}
	m := p.machines[id]
	if m == nil {
		return ref
	}
	if dns := str(m.DNSName); dns != "" {
		ref.Name = dns
		low := strings.ToLower(strings.TrimSuffix(dns, "."))
		// Device names can be free text ("iPad Air (2nd generation)"):
		// only a valid host name is an identifier.
		if hostnameRe.MatchString(low) {
			kind := model.IDHostname
			if strings.Contains(low, ".") {
				kind = model.IDFQDN
			}
			ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: kind, Value: low})
		}
	}
	if ip, ok := hostid.Address(strings.TrimSpace(str(m.LastIP))); ok {
		ref.Identifiers = append(ref.Identifiers, ip)
	}
	for _, mac := range macs(m) {
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDMAC, Value: mac})
	}
	if aad := str(m.AADDeviceID); aad != "" {
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDCloudID, Value: strings.ToLower(aad)})
	}
	attrs := map[string]string{}
	if os := str(m.OSPlatform); os != "" {
		attrs["os"] = os
		if v := str(m.OSVersion); v != "" && !strings.EqualFold(v, os) {
			attrs["os"] = os + " " + v
		}
	}
	// The external address is the NAT gateway many devices share: an
	// attribute, never an identifier.
	if ext := str(m.LastExternalIP); ext != "" {
		attrs["external_ip"] = ext
	}
	if v := str(m.ExposureLevel); v != "" {
		attrs["exposure_level"] = v
	}
	if v := str(m.RBACGroupName); v != "" {
		attrs["device_group"] = v
	}
	if len(m.Tags) > 0 {
		attrs["tags"] = strings.Join(m.Tags, ",")
	}
	if len(attrs) > 0 {
		ref.Attributes = attrs
	}
	return ref
}

var psObjectRe = regexp.MustCompile(`(\w+)=([^;}]*)`)

// macs returns the MAC addresses of the device's interfaces that are up.
// ipAddresses holds objects, or PowerShell's "@{ipAddress=...; ...}"
// strings when the export went through PowerShell.
func macs(m *machine) []string {
	seen := map[string]bool{}
	var out []string
	for _, raw := range m.IPAddresses {
		var a ipAddress
		switch v := raw.(type) {
		case map[string]any:
			a.MAC, _ = v["macAddress"].(string)
			a.Type, _ = v["type"].(string)
			a.Status, _ = v["operationalStatus"].(string)
		case string:
			for _, kv := range psObjectRe.FindAllStringSubmatch(v, -1) {
				switch kv[1] {
				case "macAddress":
					a.MAC = kv[2]
				case "type":
					a.Type = kv[2]
				case "operationalStatus":
					a.Status = kv[2]
				}
			}
		}
		if !strings.EqualFold(a.Status, "up") || strings.Contains(strings.ToLower(a.Type), "loopback") {
			continue
		}
		if mac := hostid.MAC(a.MAC); mac != "" && mac != "00:00:00:00:00:00" && !seen[mac] {
			seen[mac] = true
			out = append(out, mac)
		}
	}
	sort.Strings(out)
	return out
}

// ---- zip ----

func parseZip(ctx context.Context, r io.Reader, sink report.Sink) error {
	data, err := io.ReadAll(io.LimitReader(r, maxZipBytes+1))
	if err != nil {
		return report.AtOffset(int64(len(data)), err)
	}
	if len(data) > maxZipBytes {
		return report.Errorf(maxZipBytes, "zip archive larger than %d MiB", maxZipBytes>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return report.Errorf(0, "reading zip archive: %v", err)
	}
	if len(zr.File) > maxEntries {
		return report.Errorf(0, "zip archive has %d entries, more than %d", len(zr.File), maxEntries)
	}
	var machineFiles, vulnFiles []*zip.File
	for _, f := range zr.File {
		name := f.Name
		base := path.Base(name)
		if f.FileInfo().IsDir() || strings.HasSuffix(name, "/") || strings.HasPrefix(base, ".") || strings.HasPrefix(name, "__MACOSX/") {
			continue
		}
		switch {
		case strings.Contains(name, "vulnerabilities/"):
			vulnFiles = append(vulnFiles, f)
		case strings.Contains(name, "machines/"):
			machineFiles = append(machineFiles, f)
		}
	}
	if len(vulnFiles) == 0 {
		return report.Errorf(0, "zip archive has no vulnerabilities/ JSON entry")
	}
	p := &parser{sink: sink, machines: map[string]*machine{}, seen: map[string]bool{}, reported: map[string]bool{}}
	budget := int64(maxTotalBytes)
	// Machines first: every vulnerability then finds its device.
	for _, f := range machineFiles {
		if err := readEntry(f, &budget, func(r io.Reader) error { return p.machinesFile(ctx, r, f.Name) }); err != nil {
			return err
		}
	}
	for _, f := range vulnFiles {
		if err := readEntry(f, &budget, func(r io.Reader) error { return p.vulnerabilities(ctx, r, f.Name) }); err != nil {
			return err
		}
	}
	// Devices without any vulnerability are covered too: their earlier
	// findings are fixed.
	ids := make([]string, 0, len(p.machines))
	for id := range p.machines {
		if !p.reported[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		p.reported[id] = true
		if err := sink.Asset(p.asset(id)); err != nil {
			return err
		}
	}
	return nil
}

// readEntry inflates one entry through fn, failing once it inflates past
// the per-entry or the remaining total budget.
func readEntry(f *zip.File, budget *int64, fn func(io.Reader) error) error {
	rc, err := f.Open()
	if err != nil {
		off, _ := f.DataOffset()
		return report.Errorf(off, "zip entry %s: %v", f.Name, err)
	}
	defer rc.Close()
	limit := int64(maxEntryBytes)
	if *budget < limit {
		limit = *budget
	}
	lr := &limitedReader{r: rc, left: limit, name: f.Name}
	err = fn(lr)
	*budget -= lr.read
	if lr.exceeded {
		return report.Errorf(lr.read, "zip entry %s inflates past %d MiB", f.Name, limit>>20)
	}
	if err != nil {
		var pe *report.ParseError
		if errors.As(err, &pe) {
			return err
		}
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return report.Errorf(lr.read, "zip entry %s: %v", f.Name, err)
		}
		return err
	}
	return nil
}

type limitedReader struct {
	r        io.Reader
	left     int64
	read     int64
	exceeded bool
	name     string
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One more byte tells "exactly at the limit" from "past it".
		var one [1]byte
		n, _ := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, fmt.Errorf("zip entry %s is too large", l.name)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

func (p *parser) machinesFile(ctx context.Context, r io.Reader, entry string) error {
	js := report.NewJSONStream(r)
	err := js.Object(func(key string) error {
		if key != "value" {
			return js.Skip()
		}
		return js.Array(func(i int) error {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var m machine
			if err := js.Decode(&m); err != nil {
				return err
			}
			if m.ID != "" {
				p.machines[m.ID] = &m
			}
			return nil
		})
	})
	if err == nil {
		err = js.End()
	}
	return inEntry(entry, err)
}
