package formats_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// formatOf is the ctem format that must detect a corpus folder's files.
func formatOf(folder string) string {
	if folder == "generic" {
		return "defectdojo_generic" // DefectDojo's "Generic Findings Import"
	}
	return folder
}

// parseAs parses a file with a named format, as `ctem import --format` does.
func parseAs(t *testing.T, reg *report.Registry, format, path string) (string, *reporttest.Recorder, error) {
	t.Helper()
	f, err := reg.Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err == nil && st.Size() == 0 {
		// The pipeline imports an empty file of a named format as an
		// empty report, without asking the parser.
		return f.Name(), &reporttest.Recorder{}, nil
	}
	rec, err := reporttest.ParseFile(t, f, path)
	return f.Name(), rec, err
}

func parseCorpusFile(t *testing.T, reg *report.Registry, path string) (format string, rec *reporttest.Recorder, err error) {
	t.Helper()
	f, err := reg.Detect(reporttest.Head(t, path))
	if err != nil {
		return "", nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rec = &reporttest.Recorder{}
	err = f.Parse(context.Background(), fh, rec)
	return f.Name(), rec, err
}

// TestManifest walks every manifest row that asserts a count (or a parse
// error): the file is detected as its folder's format without a hint, and
// yields the asserted number of findings, or the documented different
// number of the exception table; asserted details that map onto ctem's
// model are checked on the files whose counts match.
func TestManifest(t *testing.T) {
	rows := reporttest.Manifest(t)
	dir := reporttest.CorpusDir(t)
	reg, err := formats.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var files, matched, documented, failures, details int
	seenException := map[string]bool{}
	for _, row := range rows {
		raise := strings.Contains(row.Details, "parse expected to raise")
		if row.Expected < 0 && !raise {
			continue
		}
		if strings.Contains(row.Details, "OPTION parser cfg") {
			// The peer parsed this file with a non-default option; its
			// default-mode row for the same file is the one ctem follows.
			continue
		}
		files++
		ok := t.Run(row.File, func(t *testing.T) {
			ex, isException := exceptions[row.File]
			want := formatOf(row.Format)
			if ex.format != "" {
				want = ex.format
			}
			var name string
			var rec *reporttest.Recorder
			var err error
			if _, ok := undetectable[row.File]; ok && !raise {
				name, rec, err = parseAs(t, reg, want, filepath.Join(dir, row.File))
			} else {
				name, rec, err = parseCorpusFile(t, reg, filepath.Join(dir, row.File))
			}
			if isException {
				seenException[row.File] = true
			}
			switch {
			case isException && ex.count < 0:
				if err == nil {
					t.Fatalf("EXCEPTION %s: parsed; the exception table says ctem refuses it (%s)", row.File, ex.reason)
				}
				documented++
				return
			case raise && !isException:
				var pe *report.ParseError
				if err == nil {
					t.Fatalf("RAISE %s: parsed as %s with %d findings; the manifest says parsing must fail", row.File, name, len(rec.Observations))
				}
				if !errors.As(err, &pe) && !errors.Is(err, report.ErrUnknownFormat) {
					t.Fatalf("RAISE %s: error %v is neither a ParseError nor a refusal", row.File, err)
				}
				matched++
				return
			case err != nil:
				t.Fatalf("ERROR %s: %v", row.File, err)
			case name != want:
				t.Fatalf("DETECT %s: detected as %s, want %s", row.File, name, want)
			}
			got := len(rec.Observations)
			if isException {
				if got != ex.count {
					t.Fatalf("EXCEPTION %s: %d findings; the exception table says ctem gives %d (%s)", row.File, got, ex.count, ex.reason)
				}
				if got == row.Expected && ex.format == "" {
					t.Fatalf("EXCEPTION %s: %d findings now match the manifest: remove the exception", row.File, got)
				}
				documented++
				return
			}
			if got != row.Expected {
				t.Fatalf("COUNT %s got %d want %d", row.File, got, row.Expected)
			}
			n, errs := checkDetails(row.Details, rec.Observations)
			details += n
			if _, ok := detailExceptions[row.File]; !ok {
				for _, e := range errs {
					t.Errorf("DETAIL %s %s", row.File, e)
				}
			}
			matched++
		})
		if !ok {
			failures++
		}
	}
	for file := range exceptions {
		if !seenException[file] {
			t.Errorf("exception for %s matches no manifest row with a count", file)
		}
	}
	summary := fmt.Sprintf("manifest: %d files, %d matched, %d documented differences, %d failures; %d asserted details checked", files, matched, documented, failures, details)
	t.Log(summary)
	fmt.Println(summary)
}

// TestDetectWholeCorpus checks that every corpus file is detected as its
// folder's format without a hint, except the files that carry no report.
func TestDetectWholeCorpus(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	reg, err := formats.Registry()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		folder, _, nested := strings.Cut(rel, string(filepath.Separator))
		if !nested {
			return nil // README, NOTICE, manifest
		}
		n++
		f, err := reg.Detect(reporttest.Head(t, path))
		if _, ok := undetectable[rel]; ok {
			return nil
		}
		want := formatOf(folder)
		if ex := exceptions[rel]; ex.format != "" {
			want = ex.format
		}
		switch {
		case err != nil:
			t.Errorf("%s: %v", rel, err)
		case f.Name() != want:
			t.Errorf("%s: detected as %s, want %s", rel, f.Name(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A file no format knows is refused clearly.
	if _, err := reg.Detect([]byte("Name,Value\nfoo,bar\n")); !errors.Is(err, report.ErrUnknownFormat) {
		t.Errorf("unknown CSV: %v", err)
	}
	t.Logf("detected %d corpus files", n)
}

// detailRe matches the assertions that carry over to ctem's model as they
// are. Titles are not compared (ctem composes its own; the per-format tests
// check them), nor are the peer's component_name and file_path, which it
// fills with resource types, dependency chains or header names.
var detailRe = regexp.MustCompile(`^finding\[(\d+)\]\.(severity|component_version|cwe|vulnerability_ids\[0\]|line)=(.*)$`)

// checkDetails checks the manifest's "finding[i].field=value" assertions
// that map one to one onto ctem's model. It returns how many it checked and
// the ones that do not hold.
func checkDetails(details string, obs []report.Observation) (int, []string) {
	var errs []string
	checked := 0
	for _, part := range strings.Split(details, "; ") {
		m := detailRe.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil || strings.HasSuffix(m[3], "…") {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(obs) {
			errs = append(errs, fmt.Sprintf("%s: only %d findings", part, len(obs)))
			continue
		}
		f := obs[i].Finding
		want := m[3]
		var got string
		switch m[2] {
		case "title":
			got = f.Title
		case "severity":
			got = string(f.Severity)
			want = strings.ToLower(want)
			if want == "informational" {
				want = "info"
			}
		case "component_name":
			got = f.Component.Name
		case "component_version":
			got = f.Component.Version
		case "cwe":
			if want == "None" || want == "0" || want == "1032" || want == "1035" {
				continue // the peer's "no CWE" placeholders and the CWEs it invents for misconfigurations
			}
			want = strings.TrimPrefix(want, "CWE-")
			var cwes []string
			for _, c := range f.CWEs {
				cwes = append(cwes, strconv.Itoa(c))
			}
			if contains(cwes, want) {
				got = want
			} else {
				got = strings.Join(cwes, ",")
			}
		case "vulnerability_ids[0]":
			// ctem keeps a check's id (AVD-KSV-0014) as its rule, not as
			// a vulnerability id.
			ids := append([]string{f.VulnID, f.RuleID}, f.Aliases...)
			if contains(ids, want) {
				got = want
			} else {
				got = strings.Join(ids, ",")
			}
		case "file_path":
			got = f.Location.File
			if got == "" {
				got = f.Component.Path
			}
		case "line":
			if want == "None" {
				continue
			}
			got = strconv.Itoa(f.Location.Line)
		}
		checked++
		if got != want {
			errs = append(errs, fmt.Sprintf("%s: got %q", part, got))
		}
	}
	return checked, errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
