// Package server is ctem's HTTP API: health and readiness probes,
// Prometheus metrics, and the JSON API under /api/v1, every route of which
// requires a bearer token.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// Server serves the API over a store.
type Server struct {
	store     store.Store
	importer  Importer
	explainer Explainer
	log       *slog.Logger
	version   string
	metrics   *prometheus.Registry
	reqs      *prometheus.CounterVec
	latency   *prometheus.HistogramVec
}

// Explainer explains a finding's priority decision (inputs with sources,
// rules fired, counterfactuals), recomputed from the same inputs.
type Explainer func(ctx context.Context, findingID int64) (any, error)

// WithExplainer serves GET /api/v1/findings/{id}/explanation.
func (s *Server) WithExplainer(e Explainer) *Server { s.explainer = e; return s }

// New builds a server.
// Importer imports one uploaded report file (the ingest pipeline).
type Importer interface {
	ImportFile(ctx context.Context, path string, opt discover.Options) ([]discover.Result, error)
}

// New builds a server. importer may be nil: POST /api/v1/imports then
// answers 501.
func New(st store.Store, importer Importer, log *slog.Logger, version string) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, importer: importer, log: log, version: version, metrics: prometheus.NewRegistry()}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ctem_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ctem_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	s.metrics.MustRegister(s.reqs, s.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics.MustRegister(&storeCollector{st: st})
	return s
}

// HashToken is how tokens are stored: SHA-256, hex. Tokens are random
// 256-bit values, so a fast hash is enough.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, role string, h http.HandlerFunc) {
		route := pattern
		var hh http.Handler = h
		if role != "" {
			hh = s.authorize(role, h)
		}
		mux.Handle(pattern, s.instrument(route, hh))
	}
	handle("GET /healthz", "", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	handle("GET /readyz", "", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}))
	handle("GET /api/v1/version", store.RoleReader, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": s.version})
	})
	handle("GET /api/v1/assets", store.RoleReader, s.listAssets)
	handle("GET /api/v1/assets/{id}", store.RoleReader, s.getAsset)
	handle("GET /api/v1/findings", store.RoleReader, s.listFindings)
	handle("GET /api/v1/findings/{id}", store.RoleReader, s.getFinding)
	handle("GET /api/v1/findings/{id}/explanation", store.RoleReader, s.explain)
	handle("GET /api/v1/imports", store.RoleReader, s.listImports)
	handle("POST /api/v1/imports", store.RoleAdmin, s.postImport)
	handle("POST /api/v1/findings/{id}/status", store.RoleAdmin, s.setStatus)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
	})
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		s.reqs.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		// Never log the Authorization header or query values.
		s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "code", rec.code, "duration", time.Since(start))
	})
}

type ctxKey struct{}

func (s *Server) authorize(role string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ctem"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token (create one with `ctem tokens create`)")
			return
		}
		tok, err := s.store.TokenByHash(r.Context(), HashToken(strings.TrimSpace(token)))
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ctem", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid or revoked token")
			return
		}
		if err != nil {
			s.fail(w, err)
			return
		}
		if role == store.RoleAdmin && tok.Role != store.RoleAdmin {
			writeError(w, http.StatusForbidden, "this token's role ("+tok.Role+") may not do this")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, tok)))
	})
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": s.store.Dialect()})
}

// List is a page of results; Next, when set, is the `after` value of the
// next page.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  *int64 `json:"next,omitempty"`
}

const defaultLimit, maxLimit = 100, 1000

func page(r *http.Request) (store.Page, error) {
	p := store.Page{Limit: defaultLimit}
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, errors.New("after: want a non-negative id")
		}
		p.After = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, errors.New("limit: want 1 to 1000")
		}
		p.Limit = n
	}
	return p, nil
}

func nextCursor(n, limit int, last int64) *int64 {
	if n < limit || n == 0 {
		return nil
	}
	return &last
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	f := store.AssetFilter{Page: p, Kind: model.AssetKind(q.Get("kind")), Scope: q.Get("scope")}
	items, err := s.store.ListAssets(r.Context(), f)
	if err != nil {
		s.fail(w, err)
		return
	}
	var last int64
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	if items == nil {
		items = []model.Asset{}
	}
	writeJSON(w, http.StatusOK, List[model.Asset]{Items: items, Next: nextCursor(len(items), p.Limit, last)})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "id: want a positive integer")
		return
	}
	a, err := s.store.GetAsset(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// FindingFilterFromQuery reads the finding filters shared by the API and
// the CLI's flags.
func FindingFilterFromQuery(q map[string][]string, p store.Page) (store.FindingFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := store.FindingFilter{Page: p, Kind: model.FindingKind(get("kind")), Source: get("source"), VulnID: get("vuln_id"), Scope: get("scope")}
	if err := ParseStatuses(get("status"), &f); err != nil {
		return f, err
	}
	for _, sv := range splitList(get("severity")) {
		sev := model.Severity(strings.ToLower(sv))
		if sev.Rank() == 0 {
			return f, errors.New("severity: want critical, high, medium, low or info")
		}
		f.Severities = append(f.Severities, sev)
	}
	if v := get("asset_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, errors.New("asset_id: want an id")
		}
		f.AssetID = n
	}
	return f, nil
}

// ParseStatuses reads a comma-separated status list ("all" for every one).
func ParseStatuses(v string, f *store.FindingFilter) error {
	for _, st := range splitList(v) {
		st = strings.ReplaceAll(strings.ToLower(st), "-", "_")
		if st == "all" {
			f.AllStatus = true
			continue
		}
		ok := false
		for _, known := range model.Statuses {
			if string(known) == st {
				ok = true
			}
		}
		if !ok {
			return errors.New("status: want open, reopened, fixed, accepted, false_positive or all")
		}
		f.Statuses = append(f.Statuses, model.Status(st))
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) listFindings(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, err := FindingFilterFromQuery(r.URL.Query(), p)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, err := s.store.ListFindings(r.Context(), f)
	if err != nil {
		s.fail(w, err)
		return
	}
	var last int64
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	writeJSON(w, http.StatusOK, List[model.Finding]{Items: items, Next: nextCursor(len(items), p.Limit, last)})
}

// FindingDetail is a finding with its detections.
type FindingDetail struct {
	model.Finding
	Detections []model.Detection `json:"detections"`
}

func (s *Server) getFinding(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "id: want a positive integer")
		return
	}
	f, err := s.store.GetFinding(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	dets, err := s.store.FindingDetections(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, FindingDetail{Finding: f, Detections: dets})
}

func (s *Server) listImports(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, err := s.store.ListImports(r.Context(), p)
	if err != nil {
		s.fail(w, err)
		return
	}
	var last int64
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	if items == nil {
		items = []model.Import{}
	}
	writeJSON(w, http.StatusOK, List[model.Import]{Items: items, Next: nextCursor(len(items), p.Limit, last)})
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	s.log.Error("request failed", "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// storeCollector exports counts from the store at scrape time.
type storeCollector struct{ st store.Store }

var (
	findingsDesc = prometheus.NewDesc("ctem_findings", "Findings by status.", []string{"status"}, nil)
	assetsDesc   = prometheus.NewDesc("ctem_assets", "Live assets.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- findingsDesc; ch <- assetsDesc }

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, st := range model.Statuses {
		n, err := c.st.CountFindings(ctx, store.FindingFilter{Statuses: []model.Status{st}})
		if err != nil {
			return
		}
		ch <- prometheus.MustNewConstMetric(findingsDesc, prometheus.GaugeValue, float64(n), string(st))
	}
	if n, err := c.st.CountAssets(ctx, store.AssetFilter{}); err == nil {
		ch <- prometheus.MustNewConstMetric(assetsDesc, prometheus.GaugeValue, float64(n))
	}
}

func (s *Server) explain(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "id: want a positive integer")
		return
	}
	if s.explainer == nil {
		writeError(w, http.StatusNotImplemented, "this server does not explain decisions")
		return
	}
	f, err := s.store.GetFinding(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if f.Priority.Band == "" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("finding %d has no decision yet", id))
		return
	}
	d, err := s.explainer(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
