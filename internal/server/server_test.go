package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/server"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

func backends(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ctem.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Open(t)) })
}

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) get(path string) (int, map[string]any, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp.StatusCode, m, string(body)
}

func setup(t *testing.T, st store.Store, populate bool) (reader, admin client) {
	t.Helper()
	ctx := context.Background()
	if populate {
		reg, err := formats.Registry()
		if err != nil {
			t.Fatal(err)
		}
		p := discover.New(st, reg, nil)
		for _, f := range []string{"trivy-alpine.json", "grype-alpine.json", "nessus-web01.nessus"} {
			if _, err := p.ImportFile(ctx, filepath.Join("..", "discover", "testdata", f), discover.Options{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := st.CreateToken(ctx, "ci-reader", store.RoleReader, server.HashToken("reader-token")); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(st, nil, nil, "test").Handler())
	t.Cleanup(ts.Close)
	return client{t, ts.URL, "reader-token"}, client{t, ts.URL, ""}
}

func TestProbesAndMetrics(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		c, anon := setup(t, st, false)
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, _, body := anon.get(path); code != 200 {
				t.Errorf("%s = %d %s", path, code, body)
			}
		}
		_, m, _ := anon.get("/readyz")
		if m["database"] != st.Dialect() {
			t.Errorf("readyz = %v", m)
		}
		c.get("/api/v1/findings")
		code, _, body := anon.get("/metrics")
		if code != 200 || !strings.Contains(body, `ctem_findings{status="open"} 0`) || !strings.Contains(body, `ctem_http_requests_total{code="200",route="GET /api/v1/findings"} 1`) {
			t.Errorf("metrics = %d\n%s", code, body)
		}
	})
}

func TestAuthorization(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		c, anon := setup(t, st, false)
		for _, path := range []string{"/api/v1/assets", "/api/v1/findings", "/api/v1/findings/1", "/api/v1/assets/1", "/api/v1/imports", "/api/v1/version"} {
			if code, _, _ := anon.get(path); code != http.StatusUnauthorized {
				t.Errorf("%s without a token = %d, want 401", path, code)
			}
			bad := c
			bad.token = "wrong"
			if code, _, _ := bad.get(path); code != http.StatusUnauthorized {
				t.Errorf("%s with a wrong token = %d, want 401", path, code)
			}
		}
		if err := st.RevokeToken(context.Background(), "ci-reader"); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := c.get("/api/v1/assets"); code != http.StatusUnauthorized {
			t.Errorf("revoked token = %d, want 401", code)
		}
	})
}

func TestEmptyDatabase(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		c, _ := setup(t, st, false)
		for _, path := range []string{"/api/v1/assets", "/api/v1/findings", "/api/v1/imports"} {
			code, m, body := c.get(path)
			if code != 200 || body != "{\"items\":[]}\n" {
				t.Errorf("%s = %d %v", path, code, m)
			}
		}
		if code, _, _ := c.get("/api/v1/findings/1"); code != 404 {
			t.Errorf("missing finding = %d, want 404", code)
		}
	})
}

func TestPopulatedDatabase(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		c, _ := setup(t, st, true)
		code, m, body := c.get("/api/v1/assets")
		if code != 200 || len(m["items"].([]any)) != 2 {
			t.Fatalf("assets = %d %s", code, body)
		}
		// Paging: two pages of 2, then the rest, following next.
		var ids []float64
		path := "/api/v1/findings?limit=2"
		for pages := 0; path != ""; pages++ {
			code, m, body := c.get(path)
			if code != 200 || pages > 10 {
				t.Fatalf("%s = %d %s", path, code, body)
			}
			for _, it := range m["items"].([]any) {
				ids = append(ids, it.(map[string]any)["id"].(float64))
			}
			path = ""
			if next, ok := m["next"].(float64); ok {
				path = "/api/v1/findings?limit=2&after=" + jsonNumber(next)
			}
		}
		if len(ids) != 4 {
			t.Errorf("paged finding ids = %v, want 4 findings", ids)
		}
		_, m, _ = c.get("/api/v1/findings?severity=critical")
		if items := m["items"].([]any); len(items) != 1 || items[0].(map[string]any)["vuln_id"] != "CVE-2021-44228" {
			t.Errorf("critical = %v", m)
		}
		_, m, _ = c.get("/api/v1/findings?vuln_id=CVE-2020-1967")
		items := m["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("CVE-2020-1967 = %v, want the image's and the host's", items)
		}
		code, m, body = c.get("/api/v1/findings/" + jsonNumber(items[0].(map[string]any)["id"].(float64)))
		var detail server.FindingDetail
		json.Unmarshal([]byte(body), &detail)
		if code != 200 || len(detail.Detections) != 2 || detail.Status != model.StatusOpen {
			t.Errorf("finding detail = %d %s", code, body)
		}
		if d := cmp.Diff([]string{"anchore_grype", "trivy"}, detail.Sources); d != "" {
			t.Errorf("sources (-want +got):\n%s", d)
		}
		for _, bad := range []string{"/api/v1/findings?status=nope", "/api/v1/findings?limit=0", "/api/v1/findings?after=x", "/api/v1/findings/abc", "/api/v1/findings?severity=urgent"} {
			if code, _, _ := c.get(bad); code != 400 {
				t.Errorf("%s = %d, want 400", bad, code)
			}
		}
		if code, _, _ := c.get("/api/v1/nope"); code != 404 {
			t.Errorf("unknown route = %d", code)
		}
		_, m, _ = c.get("/api/v1/imports")
		if len(m["items"].([]any)) != 3 {
			t.Errorf("imports = %v", m)
		}
	})
}

func jsonNumber(f float64) string { b, _ := json.Marshal(f); return string(b) }
