package prowler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

// isProwlerCSVHeader recognizes the header of Prowler v3, v4 and v5 CSV
// output: semicolon-separated, with a check id, its status and the provider.
func isProwlerCSVHeader(line []byte) bool {
	if !bytes.Contains(line, []byte(";")) {
		return false
	}
	cols := map[string]bool{}
	for _, c := range bytes.Split(line, []byte(";")) {
		cols[strings.ToUpper(strings.Trim(strings.TrimSpace(string(c)), `"`))] = true
	}
	return cols["CHECK_ID"] && cols["STATUS"] && cols["PROVIDER"] && cols["STATUS_EXTENDED"]
}

func parseCSV(ctx context.Context, br *bufio.Reader, sink report.Sink) error {
	// Drop a byte order mark so that the first column name matches.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return csvx.Describe(err, "expected a Prowler CSV header")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToUpper(strings.TrimSpace(h))] = i
	}
	if _, ok := col["CHECK_ID"]; !ok {
		return report.AtLine(1, 1, errors.New("expected a Prowler CSV header with CHECK_ID and STATUS columns"))
	}
	if _, ok := col["STATUS"]; !ok {
		return report.AtLine(1, 1, errors.New("expected a Prowler CSV header with CHECK_ID and STATUS columns"))
	}
	seen := map[string]bool{}
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvx.Describe(err, "malformed Prowler CSV row")
		}
		get := func(names ...string) string {
			for _, n := range names {
				if i, ok := col[n]; ok && i < len(rec) {
					if v := strings.TrimSpace(rec[i]); v != "" {
						return v
					}
				}
			}
			return ""
		}
		c := Check{
			Provider:     get("PROVIDER"),
			Account:      get("ACCOUNT_UID", "ACCOUNT_ID", "SUBSCRIPTION_ID", "PROJECT_ID"),
			AccountName:  get("ACCOUNT_NAME"),
			Region:       get("REGION", "LOCATION"),
			Partition:    get("PARTITION"),
			CheckID:      get("CHECK_ID"),
			Status:       get("STATUS"),
			Muted:        strings.EqualFold(get("MUTED"), "True"),
			Severity:     get("SEVERITY"),
			Title:        get("CHECK_TITLE"),
			Description:  get("DESCRIPTION"),
			Risk:         get("RISK"),
			StatusDetail: get("STATUS_EXTENDED"),
			Remediation:  get("REMEDIATION_RECOMMENDATION_TEXT"),
			ResourceUID:  get("RESOURCE_UID", "RESOURCE_ARN", "RESOURCE_ID"),
			ResourceName: get("RESOURCE_NAME", "RESOURCE_ID"),
			ResourceType: get("RESOURCE_TYPE"),
			Service:      get("SERVICE_NAME"),
		}
		if c.CheckID == "" && c.Status == "" {
			continue // a blank line written as separators only
		}
		c.Refs = append(c.Refs, get("RELATED_URL"), get("REMEDIATION_RECOMMENDATION_URL"))
		for _, u := range strings.Split(get("ADDITIONAL_URLS"), "|") {
			c.Refs = append(c.Refs, u)
		}
		if err := c.Emit(sink, seen); err != nil {
			return err
		}
	}
}
