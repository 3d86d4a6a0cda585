package intel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/store"
)

// Detect says which feed a file holds from its first bytes (decompressed
// when gzip'd): "kev", "epss", "nvd", or "" when it is none of them (JSON
// schemas, the KEV CSV, other data).
func Detect(head []byte) string {
	if bytes.HasPrefix(head, gzipMagic) {
		zr, err := decompress(bytes.NewReader(head))
		if err != nil {
			return ""
		}
		head, _ = io.ReadAll(io.LimitReader(zr, 4096)) // a truncated member still gives its start
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t := bytes.TrimSpace(head)
	lower := bytes.ToLower(t)
	switch {
	case bytes.HasPrefix(lower, []byte("#model_version")), bytes.HasPrefix(lower, []byte("#score_date")),
		bytes.HasPrefix(lower, []byte("cve,epss")):
		return store.FeedEPSS
	case !bytes.HasPrefix(t, []byte("{")):
		return ""
	case bytes.Contains(t, []byte(`"$schema"`)):
		return ""
	case bytes.Contains(t, []byte(`"catalogVersion"`)):
		return store.FeedKEV
	case bytes.Contains(t, []byte(`"NVD_CVE"`)), bytes.Contains(t, []byte(`"resultsPerPage"`)):
		return store.FeedNVD
	}
	return ""
}

// detectBytes is how much of a file Detect sees.
const detectBytes = 4096

// epssName finds the date in FIRST's file names (epss_scores-2026-01-30.csv.gz).
var epssName = regexp.MustCompile(`(\d{4}-\d{2}-\d{2})`)

type dirFile struct {
	path string
	feed string
	sum  string
	kev  store.KEVCatalog // KEV files are parsed first, to load in release order
	err  error
}

// LoadDir loads every feed file under dir, for sites without Internet
// access: a folder laid out like the one `ctem feeds` fetches from, e.g.
//
//	kev/known_exploited_vulnerabilities.json   (any number of catalogs)
//	epss/epss_scores-2026-01-30.csv.gz         (any number of days)
//	nvd/*.json[.gz]                            (NVD CVE API 2.0 responses)
//
// Files are recognized by content, wherever they are; others are reported
// as skipped. KEV catalogs load in release order (a catalog older than the
// one loaded is reported, not loaded), EPSS days newest first. A file
// loaded before with the same bytes is reported unchanged. Each file is one
// transaction: a malformed file changes nothing and its error says where.
func LoadDir(ctx context.Context, st store.IntelStore, dir string) ([]Result, error) {
	paths, err := listFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	files := make([]dirFile, len(paths))
	for i, p := range paths {
		files[i].path = p
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load %s: no files", dir)
	}

	var out []Result
	var errs []error
	add := func(r Result) {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
		out = append(out, r)
	}
	for i := range files {
		f := &files[i]
		f.feed, f.sum, f.err = sniff(f.path)
		if f.err == nil && f.feed == store.FeedKEV {
			var fh *os.File
			if fh, f.err = os.Open(f.path); f.err == nil {
				f.kev, f.err = ParseKEV(fh)
				f.err = placed(f.err, f.path)
				fh.Close()
			}
		}
	}
	// KEV in release order (each catalog is diffed against the one
	// before); EPSS newest first (older days then go to the history only,
	// leaving the current view alone), then NVD.
	rank := map[string]int{store.FeedKEV: 0, store.FeedEPSS: 1, store.FeedNVD: 2, "": 3}
	slices.SortStableFunc(files, func(a, b dirFile) int {
		if d := rank[a.feed] - rank[b.feed]; d != 0 {
			return d
		}
		switch a.feed {
		case store.FeedKEV:
			return a.kev.Released.Compare(b.kev.Released)
		case store.FeedEPSS:
			return strings.Compare(filepath.Base(b.path), filepath.Base(a.path))
		}
		return strings.Compare(filepath.Base(a.path), filepath.Base(b.path))
	})
	for _, f := range files {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		start := time.Now()
		r := loadFile(ctx, st, f)
		r.Duration = time.Since(start)
		add(r)
	}
	return out, errors.Join(errs...)
}

// listFiles lists the regular files under dir, following symbolic links
// (once per real folder) and leaving out hidden files and folders.
func listFiles(dir string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	var walk func(d string) error
	walk = func(d string) error {
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			return err
		}
		if seen[real] {
			return nil
		}
		seen[real] = true
		ents, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(d, e.Name())
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				out = append(out, p)
			}
		}
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return out, walk(abs)
}

// sniff detects a file's feed and digests it.
func sniff(path string) (feed, sum string, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer fh.Close()
	h := sha256.New()
	head := make([]byte, detectBytes)
	n, err := io.ReadFull(fh, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", "", err
	}
	head = head[:n]
	h.Write(head)
	if _, err := io.Copy(h, fh); err != nil {
		return "", "", err
	}
	return Detect(head), hex.EncodeToString(h.Sum(nil)), nil
}

func loadFile(ctx context.Context, st store.IntelStore, f dirFile) Result {
	r := Result{Feed: f.feed, Source: f.path}
	if f.err != nil {
		r.Outcome, r.Err = store.SyncFailed, f.err
		if f.feed != "" {
			record(ctx, st, &r, time.Now(), nil, f.sum, nil)
		}
		return r
	}
	if f.feed == "" {
		r.Outcome = "skipped"
		return r
	}
	at := time.Now()
	prev, err := lastSync(ctx, st, f.feed, f.path)
	if err != nil {
		r.Outcome, r.Err = store.SyncFailed, err
		return r
	}
	if prev != nil && prev.SHA256 == f.sum && f.feed != store.FeedEPSS {
		r.Outcome, r.Version = store.SyncUnchanged, prev.Version
		record(ctx, st, &r, at, nil, f.sum, prev)
		return r
	}
	switch f.feed {
	case store.FeedKEV:
		loadCatalog(ctx, st, &r, f.kev)
	case store.FeedEPSS:
		// EPSS days are compared by date and digest in the store.
		fh, err := os.Open(f.path)
		if err != nil {
			r.Outcome, r.Err = store.SyncFailed, err
			break
		}
		er, err := NewEPSSReader(fh)
		if err != nil {
			r.Outcome, r.Err = store.SyncFailed, placed(err, f.path)
		} else {
			var hint time.Time
			if m := epssName.FindString(filepath.Base(f.path)); m != "" {
				hint, _ = parseDate(m)
			}
			loadEPSS(ctx, st, &r, er, hint, f.sum, false)
		}
		fh.Close()
	case store.FeedNVD:
		fh, err := os.Open(f.path)
		if err != nil {
			r.Outcome, r.Err = store.SyncFailed, err
			break
		}
		nr, err := NewNVDReader(fh)
		if err == nil {
			var n int
			n, err = st.UpsertCVEs(ctx, placedSeq(nr.Records(), f.path))
			r.Rows = n
			if p := nr.Page(); !p.Timestamp.IsZero() {
				r.Version = p.Timestamp.Format(time.RFC3339)
			}
		}
		fh.Close()
		if err != nil {
			r.Outcome, r.Err = store.SyncFailed, placed(err, f.path)
		} else {
			r.Outcome = store.SyncLoaded
		}
	}
	if r.Outcome == store.SyncUnchanged && r.Version == "" && prev != nil {
		r.Version = prev.Version
	}
	record(ctx, st, &r, at, nil, f.sum, prev)
	return r
}
