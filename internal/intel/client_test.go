package intel

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/store"
)

// feedServer serves the real feed files the way their publishers do: KEV
// and EPSS as static files with ETag and Last-Modified (and 304 answers to
// conditional requests), NVD as the paged CVE API 2.0.
type feedServer struct {
	t *testing.T
	*httptest.Server

	mu      sync.Mutex
	kev     string              // file served at /kev.json
	epss    string              // file served at /epss.csv.gz
	body    map[string][]byte   // overrides: path -> body
	fail    map[string][]int    // path -> status codes to answer first, in order
	hits    map[string]int      // path -> requests
	status  map[string][]int    // path -> status codes answered
	queries []string            // NVD queries, in order
	apiKeys []string            // NVD apiKey headers seen
	nvd     []json.RawMessage   // NVD records: vulnerabilities[] elements
	nvdByID map[string]int      // id -> index in nvd
	headers map[string][]string // path -> conditional headers seen
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{t: t, kev: feedFile(t, "kev/known_exploited_vulnerabilities.json"),
		epss: feedFile(t, "epss/epss_scores-2026-01-30.csv.gz"), body: map[string][]byte{}, fail: map[string][]int{},
		hits: map[string]int{}, status: map[string][]int{}, nvdByID: map[string]int{}, headers: map[string][]string{}}
	for _, f := range []string{"nvd/vuls-data-update_cves-CVE-2021-44228_kev_ssvc.json", "nvd/vuls-data-update_cves-CVE-2024-4819_cvssv40.json", "nvd/nvd-go_cves-2023.json.gz"} {
		r, err := decompress(open(t, f))
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
		}
		if err := json.NewDecoder(r).Decode(&page); err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Vulnerabilities {
			var id struct {
				CVE struct {
					ID string `json:"id"`
				} `json:"cve"`
			}
			json.Unmarshal(v, &id)
			fs.nvdByID[id.CVE.ID] = len(fs.nvd)
			fs.nvd = append(fs.nvd, v)
		}
	}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	p := r.URL.Path
	fs.hits[p]++
	fs.headers[p] = append(fs.headers[p], r.Header.Get("If-None-Match")+"|"+r.Header.Get("If-Modified-Since"))
	var code int
	if f := fs.fail[p]; len(f) > 0 {
		code, fs.fail[p] = f[0], f[1:]
	}
	body, override := fs.body[p]
	file := map[string]string{"/kev.json": fs.kev, "/epss.csv.gz": fs.epss}[p]
	if p == "/nvd" {
		fs.queries = append(fs.queries, r.URL.RawQuery)
		fs.apiKeys = append(fs.apiKeys, r.Header.Get("apiKey"))
	}
	fs.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, code: 200}
	defer func() {
		fs.mu.Lock()
		fs.status[p] = append(fs.status[p], rec.code)
		fs.mu.Unlock()
	}()
	w = rec
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusForbidden:
		w.Header().Set("Retry-After", "7")
		w.Header().Set("message", "Request forbidden by administrative rules.")
		w.WriteHeader(code)
		return
	case code != 0:
		http.Error(w, http.StatusText(code), code)
		return
	case override:
		w.Write(body)
		return
	case p == "/nvd":
		fs.serveNVD(w, r)
		return
	case file == "":
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer f.Close()
	fi, _ := f.Stat()
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
	http.ServeContent(w, r, file, fi.ModTime(), f)
}

func (fs *feedServer) serveNVD(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	recs := fs.nvd
	if id := q.Get("cveId"); id != "" {
		recs = nil
		if i, ok := fs.nvdByID[id]; ok {
			recs = fs.nvd[i : i+1]
		}
	}
	if (q.Get("lastModStartDate") == "") != (q.Get("lastModEndDate") == "") {
		http.Error(w, "both lastModStartDate and lastModEndDate are required", 404)
		return
	}
	if q.Get("lastModStartDate") != "" {
		recs = recs[:1] // what changed since: one record
	}
	per, _ := strconv.Atoi(q.Get("resultsPerPage"))
	start, _ := strconv.Atoi(q.Get("startIndex"))
	if per <= 0 || per > 2000 {
		per = 2000
	}
	page := recs[min(start, len(recs)):min(start+per, len(recs))]
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"resultsPerPage":%d,"startIndex":%d,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-06-18T00:00:00.000","vulnerabilities":[`,
		len(page), start, len(recs))
	for i, v := range page {
		if i > 0 {
			w.Write([]byte(","))
		}
		w.Write(v)
	}
	w.Write([]byte("]}"))
}

func (fs *feedServer) set(f func(fs *feedServer)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f(fs)
}

func (fs *feedServer) get(f func(fs *feedServer)) { fs.set(f) }

// sleeper records the waits a client asks for instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.waits
	s.waits = nil
	return w
}

func (fs *feedServer) client(sl *sleeper, mod func(*Config)) *Client {
	cfg := Config{KEVURL: fs.URL + "/kev.json", EPSSURL: fs.URL + "/epss.csv.gz", NVDURL: fs.URL + "/nvd",
		HTTP: fs.Server.Client(), NVDPageSize: 50, NVDDelay: 250 * time.Millisecond, NVDAPIKey: "k3y",
		Backoff: time.Second, Sleep: sl.sleep}
	if mod != nil {
		mod(&cfg)
	}
	return NewClient(cfg)
}

func outcomes(rs []Result) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.Feed] = r.Outcome
	}
	return m
}

func TestSync(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			testSync(t, st)
		})
	}
}

func testSync(t *testing.T, st store.IntelStore) {
	ctx := context.Background()
	fs := newFeedServer(t)
	sl := &sleeper{}
	// NVD answers the first request with 429 and Retry-After.
	fs.set(func(fs *feedServer) { fs.fail["/nvd"] = []int{http.StatusTooManyRequests} })
	c := fs.client(sl, nil)
	res, err := c.Sync(ctx, st, SyncOptions{Feeds: Feeds})
	if err != nil {
		t.Fatal(err)
	}
	kev, epss, nvd := res[0], res[1], res[2]
	if kev.Outcome != store.SyncLoaded || kev.Version != "2025.08.25" || kev.Rows != 1404 || kev.Added != 1404 || kev.Removed != 0 {
		t.Errorf("KEV result = %+v", kev)
	}
	if epss.Outcome != store.SyncLoaded || epss.Version != "2026-01-30 v2025.03.14" || epss.Rows != 313089 {
		t.Errorf("EPSS result = %+v", epss)
	}
	if nvd.Outcome != store.SyncLoaded || nvd.Rows != 202 {
		t.Errorf("NVD result = %+v", nvd)
	}
	// 202 records in pages of 50: 5 pages, 6 requests with the 429; the
	// client waited as told, then 250 ms between pages.
	want := []time.Duration{7 * time.Second, 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond}
	if d := cmp.Diff(want, sl.take()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	fs.get(func(fs *feedServer) {
		wantQ := []string{"resultsPerPage=50&startIndex=0", "resultsPerPage=50&startIndex=0", "resultsPerPage=50&startIndex=50",
			"resultsPerPage=50&startIndex=100", "resultsPerPage=50&startIndex=150", "resultsPerPage=50&startIndex=200"}
		if d := cmp.Diff(wantQ, fs.queries); d != "" {
			t.Errorf("NVD queries (-want +got):\n%s", d)
		}
		if fs.apiKeys[0] != "k3y" {
			t.Errorf("apiKey header = %q", fs.apiKeys[0])
		}
	})

	// What prioritization reads about Log4Shell.
	vi, err := st.VulnIntel(ctx, []string{"CVE-2021-44228"})
	if err != nil {
		t.Fatal(err)
	}
	l := vi["CVE-2021-44228"]
	if !l.KEV || !l.KEVRansomware || !l.KEVDateAdded.Equal(date("2021-12-10")) || !l.KEVDueDate.Equal(date("2021-12-24")) {
		t.Errorf("log4j KEV view = %+v", l)
	}
	if l.EPSS != 0.94358 || l.EPSSPercentile != 0.99959 || l.EPSSModel != "v2025.03.14" || !l.EPSSDate.Equal(date("2026-01-30")) {
		t.Errorf("log4j EPSS view = %+v", l)
	}
	if len(l.CVSS) == 0 || l.CVSS[0].Version != "3.1" || l.CVSS[0].Score != 10 || l.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" {
		t.Errorf("log4j CVSS view = %+v", l.CVSS)
	}
	if l.SSVCExploitation != "active" || l.SSVCAutomatable != "yes" || l.SSVCTechImpact != "total" || len(l.ExploitReferences) == 0 {
		t.Errorf("log4j SSVC view = %+v", l)
	}
	if sc, err := st.EPSSAt(ctx, "CVE-2021-44228", date("2026-02-01")); err != nil || sc.EPSS != 0.94358 {
		t.Errorf("EPSSAt = %+v, %v", sc, err)
	}

	// Again: KEV and EPSS answer 304 to the conditional requests; NVD asks
	// for what changed since the last sync.
	res, err = c.Sync(ctx, st, SyncOptions{Feeds: Feeds})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"kev": "unchanged", "epss": "unchanged", "nvd": "loaded"}, outcomes(res)); d != "" {
		t.Errorf("second sync (-want +got):\n%s", d)
	}
	if res[0].Version != "2025.08.25" || res[1].Version != "2026-01-30 v2025.03.14" {
		t.Errorf("unchanged versions = %q, %q", res[0].Version, res[1].Version)
	}
	fs.get(func(fs *feedServer) {
		if got := fs.status["/kev.json"]; len(got) != 2 || got[1] != http.StatusNotModified {
			t.Errorf("KEV answers = %v, want 200 then 304", got)
		}
		if got := fs.status["/epss.csv.gz"]; len(got) != 2 || got[1] != http.StatusNotModified {
			t.Errorf("EPSS answers = %v, want 200 then 304", got)
		}
		if h := fs.headers["/kev.json"][1]; !strings.HasPrefix(h, `"`) || !strings.Contains(h, "GMT") {
			t.Errorf("KEV conditional headers = %q", h)
		}
		q := fs.queries[len(fs.queries)-1]
		if !strings.Contains(q, "lastModStartDate=") || !strings.Contains(q, "lastModEndDate=") {
			t.Errorf("incremental NVD query = %q", q)
		}
	})
	if res[2].Rows != 1 {
		t.Errorf("incremental NVD result = %+v", res[2])
	}

	// A newer catalog: 258 additions, no removals.
	fs.set(func(fs *feedServer) { fs.kev = feedFile(t, "kev/known_exploited_vulnerabilities-2026.08.07.json") })
	res, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"kev"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Outcome != store.SyncLoaded || r.Version != "2026.08.07" || r.Rows != 1662 || r.Added != 258 || r.Removed != 0 {
		t.Errorf("KEV 2026.08.07 result = %+v", r)
	}
	listed, err := st.KEVEntries(ctx, store.KEVFilter{})
	if err != nil || len(listed) != 1662 {
		t.Fatalf("KEV entries listed = %d, %v", len(listed), err)
	}

	// Just some CVE records.
	res, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"nvd"}, NVDCVEs: []string{"CVE-2024-4819", "CVE-2099-0001"}})
	if err != nil || res[0].Rows != 1 {
		t.Fatalf("NVD by id = %+v, %v", res, err)
	}

	reports, err := Status(ctx, st, time.Date(2026, 8, 8, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if r := reports[0]; r.Version != "2026.08.07" || r.Rows != 1662 || r.History != 2 || r.Stale || r.LastSuccess == nil {
		t.Errorf("KEV status = %+v", r)
	}
	if r := reports[1]; r.Version != "v2025.03.14" || r.Rows != 313089 || !r.Stale || !strings.Contains(r.Note, "data is 190 days old") {
		t.Errorf("EPSS status = %+v", r)
	}
	if r := reports[2]; r.Rows != 202 || r.LastSuccess == nil {
		t.Errorf("NVD status = %+v", r)
	}
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	fs := newFeedServer(t)
	st := openSQLite(t)
	sl := &sleeper{}
	c := fs.client(sl, nil)

	// Two 503s, then the catalog.
	fs.set(func(fs *feedServer) { fs.fail["/kev.json"] = []int{503, 503} })
	res, err := c.Sync(ctx, st, SyncOptions{Feeds: []string{"kev"}})
	if err != nil || res[0].Outcome != store.SyncLoaded || res[0].Rows != 1404 {
		t.Fatalf("sync after 503s = %+v, %v", res, err)
	}
	waits := sl.take()
	if len(waits) != 2 || waits[0] < time.Second || waits[0] > 1100*time.Millisecond || waits[1] < 2*time.Second || waits[1] > 2200*time.Millisecond {
		t.Errorf("backoff waits = %v, want about 1s then 2s", waits)
	}

	// Retries run out: the sync fails, says why, and is recorded.
	c = fs.client(sl, func(c *Config) { c.Retries = 2 })
	fs.set(func(fs *feedServer) { fs.fail["/epss.csv.gz"] = []int{503, 502, 503, 503} })
	res, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"epss"}})
	var se *StatusError
	if err == nil || !errors.As(err, &se) || se.Code != 503 || res[0].Outcome != store.SyncFailed {
		t.Fatalf("sync with 503s = %+v, %v", res, err)
	}
	if n := len(sl.take()); n != 2 {
		t.Errorf("%d retries, want 2", n)
	}
	if !strings.Contains(err.Error(), "/epss.csv.gz: 503 Service Unavailable: Service Unavailable") {
		t.Errorf("error = %v", err)
	}
	sts, err := Status(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := sts[1]; r.LastSync == nil || r.LastSync.Outcome != store.SyncFailed || !strings.Contains(r.Note, "not loaded") || !strings.Contains(r.Note, "last sync failed") {
		t.Errorf("EPSS status after a failure = %+v", r)
	}

	// A 404 is not retried.
	c = fs.client(sl, func(c *Config) { c.KEVURL = fs.URL + "/nothing.json" })
	if _, err := c.Sync(ctx, st, SyncOptions{Feeds: []string{"kev"}}); err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Errorf("404 = %v", err)
	}
	if n := len(sl.take()); n != 0 {
		t.Errorf("404 retried %d times", n)
	}

	// Over MaxBody: not retried either.
	c = fs.client(sl, func(c *Config) { c.MaxBody = 1000 })
	_, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"kev"}, Force: true})
	if !errors.Is(err, ErrTooLarge) || len(sl.take()) != 0 {
		t.Errorf("too large = %v", err)
	}

	// NVD's 403 is its rate limit: retried after Retry-After.
	fs.set(func(fs *feedServer) { fs.fail["/nvd"] = []int{403, 403} })
	c = fs.client(sl, nil)
	res, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"nvd"}, NVDCVEs: []string{"CVE-2021-44228"}})
	if err != nil || res[0].Rows != 1 {
		t.Fatalf("NVD after 403s = %+v, %v", res, err)
	}
	if d := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, sl.take()); d != "" {
		t.Errorf("NVD waits (-want +got):\n%s", d)
	}

	// A server that does not answer in time.
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(block)
	c = NewClient(Config{KEVURL: slow.URL + "/kev.json", Timeout: 50 * time.Millisecond, Retries: 1, Sleep: sl.sleep})
	_, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"kev"}})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cannot reach 127.0.0.1:") {
		t.Errorf("timeout = %v", err)
	}
	if n := len(sl.take()); n != 1 {
		t.Errorf("timeout retried %d times, want 1", n)
	}
}

func TestOffline(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	sl := &sleeper{}
	// No network: every name lookup fails.
	offline := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		h, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: h, IsNotFound: true}}
	}}}
	c := NewClient(Config{HTTP: offline, Sleep: sl.sleep})
	res, err := c.Sync(ctx, st, SyncOptions{})
	if err == nil || len(res) != 2 {
		t.Fatalf("offline sync = %+v, %v", res, err)
	}
	want := "kev: cannot reach www.cisa.gov: dial tcp: lookup www.cisa.gov: no such host (offline? use `ctem feeds load DIR`)\n" +
		"epss: cannot reach epss.cyentia.com: dial tcp: lookup epss.cyentia.com: no such host (offline? use `ctem feeds load DIR`)"
	if err.Error() != want {
		t.Errorf("offline error\n got %s\nwant %s", err, want)
	}
	if n := len(sl.take()); n != 0 {
		t.Errorf("a missing host was retried %d times", n)
	}

	// Connection refused is retried, then explained the same way.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c = NewClient(Config{KEVURL: "http://" + addr + "/kev.json", Retries: 2, Sleep: sl.sleep})
	_, err = c.Sync(ctx, st, SyncOptions{Feeds: []string{"kev"}})
	if err == nil || !strings.HasPrefix(err.Error(), "kev: cannot reach "+addr+": dial tcp "+addr+": connect: connection refused") ||
		!strings.HasSuffix(err.Error(), "(offline? use `ctem feeds load DIR`)") {
		t.Errorf("refused = %v", err)
	}
	if n := len(sl.take()); n != 2 {
		t.Errorf("connection refused retried %d times, want 2", n)
	}
	if es, _ := st.KEVEntries(ctx, store.KEVFilter{}); len(es) != 0 {
		t.Errorf("%d KEV entries after failed syncs", len(es))
	}
}

// gz compresses b.
func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestSyncMalformed serves broken feeds: each fails with a positioned
// error and changes nothing.
func TestSyncMalformed(t *testing.T) {
	ctx := context.Background()
	fs := newFeedServer(t)
	st := openSQLite(t)
	sl := &sleeper{}
	c := fs.client(sl, nil)

	kevBytes, err := io.ReadAll(open(t, "kev/known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The first 4,000 data rows of the real EPSS file with row 3,999 broken:
	// several insert statements run before the failure.
	zr, err := gzip.NewReader(open(t, "epss/epss_scores-2026-01-30.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]string, 0, 4002)
	data, _ := io.ReadAll(io.LimitReader(zr, 200000))
	for _, l := range strings.SplitAfter(string(data), "\n")[:4002] {
		lines = append(lines, l)
	}
	lines[4000] = "CVE-2099-0001,0.5,percentile\n" // line 4001
	epssBad := gz([]byte(strings.Join(lines, "")))
	nvdBad := []byte(`{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2023-0001","published":"2023-01-01T00:00:00.000"}},{"cve":{"id":"CVE-2023-0002","published":"yesterday"}}]}`)

	fs.set(func(fs *feedServer) {
		fs.body["/kev.json"] = kevBytes[:len(kevBytes)/2]
		fs.body["/epss.csv.gz"] = epssBad
		fs.body["/nvd"] = nvdBad
	})
	res, err := c.Sync(ctx, st, SyncOptions{Feeds: Feeds})
	if err == nil {
		t.Fatal("sync of broken feeds succeeded")
	}
	for _, r := range res {
		var pe *report.ParseError
		if r.Outcome != store.SyncFailed || !errors.As(r.Err, &pe) || pe.File == "" {
			t.Errorf("%s: %+v", r.Feed, r)
		}
	}
	want := []string{
		fs.URL + "/kev.json: byte 628140: unexpected EOF",
		fs.URL + "/epss.csv.gz:4001:19: CVE-2099-0001: percentile: \"percentile\" is not a number",
		fs.URL + `/nvd?resultsPerPage=50&startIndex=0: byte 175: vulnerabilities[1]: CVE-2023-0002: published: cannot parse time "yesterday"`,
	}
	for i, r := range res {
		if r.Err.Error() != want[i] {
			t.Errorf("%s error\n got %s\nwant %s", r.Feed, r.Err, want[i])
		}
	}
	sts, err := st.FeedStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sts {
		if s.Rows != 0 || s.History != 0 || s.LastSuccess != nil || s.LastSync == nil || s.LastSync.Outcome != store.SyncFailed {
			t.Errorf("%s after a broken feed: %+v", s.Feed, s)
		}
	}
	if vi, err := st.VulnIntel(ctx, []string{"CVE-1999-0001", "CVE-2023-0001", "CVE-2021-44228"}); err != nil || len(vi) != 0 {
		t.Errorf("VulnIntel after broken feeds = %v, %v", vi, err)
	}
}
