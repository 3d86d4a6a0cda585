package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/server"
	"github.com/ctemhq/ctem/internal/store"
)

func TestWrites(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		reg, err := formats.Registry()
		if err != nil {
			t.Fatal(err)
		}
		st.CreateToken(ctx, "reader", store.RoleReader, server.HashToken("r"))
		st.CreateToken(ctx, "admin", store.RoleAdmin, server.HashToken("a"))
		ts := httptest.NewServer(server.New(st, discover.New(st, reg, nil), nil, "test").Handler())
		defer ts.Close()
		do := func(token, method, path string, body []byte) (int, string) {
			req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		trivy, _ := os.ReadFile("../discover/testdata/trivy-alpine.json")
		if code, _ := do("r", "POST", "/api/v1/imports", trivy); code != http.StatusForbidden {
			t.Errorf("reader import = %d, want 403", code)
		}
		code, body := do("a", "POST", "/api/v1/imports?name=trivy.json", trivy)
		var res struct {
			Results []discover.Result `json:"results"`
		}
		json.Unmarshal([]byte(body), &res)
		if code != http.StatusCreated || len(res.Results) != 1 || res.Results[0].Import.Counts.New != 2 || res.Results[0].Import.File != "upload:trivy.json" {
			t.Fatalf("import = %d %s", code, body)
		}
		code, body = do("a", "POST", "/api/v1/imports?name=bad.json", trivy[:len(trivy)/2])
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "bad.json:") || strings.Contains(body, os.TempDir()) {
			t.Errorf("truncated import = %d %s (want 422 naming the upload, not the temporary path)", code, body)
		}
		if code, _ := do("a", "POST", "/api/v1/imports", nil); code != http.StatusBadRequest {
			t.Errorf("empty import = %d", code)
		}
		if code, _ := do("a", "POST", "/api/v1/imports?name=../x", trivy); code != http.StatusBadRequest {
			t.Errorf("path in name = %d", code)
		}
		n, _ := st.CountFindings(ctx, store.FindingFilter{})
		if n != 2 {
			t.Errorf("findings after a good and a bad import = %d, want 2", n)
		}
		code, body = do("a", "POST", "/api/v1/findings/1/status", []byte(`{"status": "accepted", "note": "compensated by WAF"}`))
		if code != 200 || !strings.Contains(body, `"status":"accepted"`) {
			t.Errorf("set status = %d %s", code, body)
		}
		if code, _ := do("r", "POST", "/api/v1/findings/1/status", []byte(`{"status": "open"}`)); code != http.StatusForbidden {
			t.Errorf("reader set status = %d", code)
		}
		for _, bad := range []string{`{"status": "fixed"}`, `{"state": "open"}`, `nope`} {
			if code, _ := do("a", "POST", "/api/v1/findings/1/status", []byte(bad)); code != http.StatusBadRequest {
				t.Errorf("%s = %d, want 400", bad, code)
			}
		}
		if code, _ := do("a", "POST", "/api/v1/findings/999/status", []byte(`{"status": "open"}`)); code != http.StatusNotFound {
			t.Errorf("unknown finding = %d", code)
		}
	})
}

func TestExplanation(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		reg, _ := formats.Registry()
		p := discover.New(st, reg, nil)
		if _, err := p.ImportFile(ctx, "../discover/testdata/trivy-alpine.json", discover.Options{}); err != nil {
			t.Fatal(err)
		}
		st.CreateToken(ctx, "reader", store.RoleReader, server.HashToken("r"))
		calls := 0
		srv := server.New(st, nil, nil, "test").WithExplainer(func(ctx context.Context, id int64) (any, error) {
			calls++
			return map[string]any{"band": "P2", "finding": id}, nil
		})
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		get := func(path string) (int, string) {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			req.Header.Set("Authorization", "Bearer r")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		// No decision yet: 404.
		if code, _ := get("/api/v1/findings/1/explanation"); code != http.StatusNotFound {
			t.Errorf("undecided finding = %d, want 404", code)
		}
		due := time.Now()
		if err := st.SetPriorities(ctx, []store.PriorityUpdate{{FindingID: 1, Band: "P2", Score: 400, Policy: "ctem-default/1", DecidedAt: due, SLADue: &due}}); err != nil {
			t.Fatal(err)
		}
		code, body := get("/api/v1/findings/1/explanation")
		if code != 200 || !strings.Contains(body, `"band":"P2"`) || calls != 1 {
			t.Errorf("explanation = %d %s (calls %d)", code, body, calls)
		}
		if code, _ := get("/api/v1/findings/99/explanation"); code != http.StatusNotFound {
			t.Errorf("unknown finding = %d", code)
		}
	})
}
