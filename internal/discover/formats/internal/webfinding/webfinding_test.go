package webfinding_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestParseSite(t *testing.T) {
	tests := []struct {
		raw, def string
		want     webfinding.Site
		ok       bool
	}{
		{"https://Example.COM/path?q=1", "http", webfinding.Site{Origin: "https://example.com", Scheme: "https", Host: "example.com", Port: 443}, true},
		{"http://example.com:80/", "https", webfinding.Site{Origin: "http://example.com", Scheme: "http", Host: "example.com", Port: 80}, true},
		{"http://example.com:8080", "http", webfinding.Site{Origin: "http://example.com:8080", Scheme: "http", Host: "example.com", Port: 8080}, true},
		{"example.com.:8443", "https", webfinding.Site{Origin: "https://example.com:8443", Scheme: "https", Host: "example.com", Port: 8443}, true},
		{"//example.com", "http", webfinding.Site{Origin: "http://example.com", Scheme: "http", Host: "example.com", Port: 80}, true},
		{"  wss://[::1]:443/ws ", "http", webfinding.Site{Origin: "wss://[::1]", Scheme: "wss", Host: "::1", Port: 443}, true},
		{"ftp://files.example.com", "http", webfinding.Site{Origin: "ftp://files.example.com", Scheme: "ftp", Host: "files.example.com", Port: 0}, true},
		{"ftp://files.example.com:21", "http", webfinding.Site{Origin: "ftp://files.example.com:21", Scheme: "ftp", Host: "files.example.com", Port: 21}, true},
		{"", "http", webfinding.Site{}, false},
		{"http://", "http", webfinding.Site{}, false},
		{"http://example.com:0", "http", webfinding.Site{}, false},
		{"http://example.com:70000", "http", webfinding.Site{}, false},
		{"http://exa mple.com", "http", webfinding.Site{}, false},
	}
	for _, tt := range tests {
		got, ok := webfinding.ParseSite(tt.raw, tt.def)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSite(%q, %q) = %+v, %v; want %+v, %v", tt.raw, tt.def, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSiteJoin(t *testing.T) {
	s, _ := webfinding.ParseSite("https://example.com:8443", "http")
	tests := []struct{ path, want string }{
		{"", "https://example.com:8443/"},
		{"/login", "https://example.com:8443/login"},
		{" login ", "https://example.com:8443/login"},
		{"http://other.example/x", "http://other.example/x"},
	}
	for _, tt := range tests {
		if got := s.Join(tt.path); got != tt.want {
			t.Errorf("Join(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestSiteAsset(t *testing.T) {
	s, _ := webfinding.ParseSite("http://10.0.0.1:8080", "http")
	want := report.AssetRef{
		Kind:        model.AssetWebApp,
		Name:        "http://10.0.0.1:8080",
		Identifiers: []model.Identifier{{Kind: model.IDURL, Value: "http://10.0.0.1:8080"}, {Kind: model.IDIPv4, Value: "10.0.0.1"}},
	}
	if got := s.Asset(); !reflect.DeepEqual(got, want) {
		t.Errorf("Asset() = %+v, want %+v", got, want)
	}
}

func TestHostIdentifier(t *testing.T) {
	tests := []struct {
		host string
		want model.Identifier
	}{
		{"10.1.2.3", model.Identifier{Kind: model.IDIPv4, Value: "10.1.2.3"}},
		{"::ffff:10.1.2.3", model.Identifier{Kind: model.IDIPv4, Value: "10.1.2.3"}},
		{"[2001:DB8::1]", model.Identifier{Kind: model.IDIPv6, Value: "2001:db8::1"}},
		{"WWW.Example.com.", model.Identifier{Kind: model.IDFQDN, Value: "www.example.com"}},
		{"intranet", model.Identifier{Kind: model.IDHostname, Value: "intranet"}},
	}
	for _, tt := range tests {
		if got := webfinding.HostIdentifier(tt.host); got != tt.want {
			t.Errorf("HostIdentifier(%q) = %+v, want %+v", tt.host, got, tt.want)
		}
	}
}

func TestAssetsReportOnce(t *testing.T) {
	a, _ := webfinding.ParseSite("http://a.example", "http")
	b, _ := webfinding.ParseSite("http://b.example", "http")
	rec := &reporttest.Recorder{}
	seen := webfinding.Assets{}
	for _, ref := range []report.AssetRef{a.Asset(), b.Asset(), a.Asset()} {
		if err := seen.Report(rec, ref); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.Assets) != 2 || rec.Assets[0].Name != "http://a.example" || rec.Assets[1].Name != "http://b.example" {
		t.Errorf("reported %+v, want a.example then b.example once each", rec.Assets)
	}
	if webfinding.AssetKey(a.Asset()) == webfinding.AssetKey(b.Asset()) {
		t.Error("AssetKey does not tell two sites apart")
	}
}

func obs(site string, sev model.Severity, url string) report.Observation {
	s, _ := webfinding.ParseSite(site, "http")
	return report.Observation{
		Asset:        s.Asset(),
		ToolSeverity: string(sev),
		Finding:      model.Finding{Title: "XSS", Severity: sev, Location: model.Location{URL: url}},
	}
}

// flushed is what a test expects of one grouped observation.
type flushed struct {
	sev           model.Severity
	url, ev, tool string
}

func TestGrouper(t *testing.T) {
	tests := []struct {
		name string
		add  func(g *webfinding.Grouper)
		want []flushed
	}{
		{
			name: "one instance keeps its own evidence",
			add: func(g *webfinding.Grouper) {
				g.Add("xss", obs("http://a.example", model.SevMedium, "http://a.example/x"), "http://a.example/x", "GET /x")
			},
			want: []flushed{{model.SevMedium, "http://a.example/x", "GET /x", "medium"}},
		},
		{
			name: "instances merge: worst severity, lowest URL, every line",
			add: func(g *webfinding.Grouper) {
				g.Add("xss", obs("http://a.example", model.SevLow, "http://a.example/b"), "http://a.example/b", "proof b")
				g.Add("xss", obs("http://a.example", model.SevHigh, "http://a.example/c"), "http://a.example/c", "proof c")
				g.Add("xss", obs("http://a.example", model.SevLow, "http://a.example/a"), "http://a.example/a", "proof a")
				g.Add("xss", obs("http://a.example", model.SevLow, "http://a.example/a"), "http://a.example/a", "proof a")
			},
			want: []flushed{{model.SevHigh, "http://a.example/a", "proof a\n\nInstances (3):\nhttp://a.example/b\nhttp://a.example/c\nhttp://a.example/a", "high"}},
		},
		{
			name: "one issue on two sites is two observations, in order first seen",
			add: func(g *webfinding.Grouper) {
				g.Add("xss", obs("http://b.example", model.SevLow, "http://b.example/"), "", "on b")
				g.Add("xss", obs("http://a.example", model.SevLow, "http://a.example/"), "", "on a")
			},
			want: []flushed{{model.SevLow, "http://b.example/", "on b", "low"}, {model.SevLow, "http://a.example/", "on a", "low"}},
		},
		{
			name: "an instance without a URL does not move the location",
			add: func(g *webfinding.Grouper) {
				g.Add("xss", obs("http://a.example", model.SevLow, "http://a.example/z"), "z", "proof z")
				g.Add("xss", obs("http://a.example", model.SevLow, ""), "none", "proof none")
			},
			want: []flushed{{model.SevLow, "http://a.example/z", "proof z\n\nInstances (2):\nz\nnone", "low"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := webfinding.NewGrouper()
			tt.add(g)
			rec := &reporttest.Recorder{}
			if err := g.Flush(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			if len(rec.Observations) != len(tt.want) {
				t.Fatalf("flushed %d observations, want %d", len(rec.Observations), len(tt.want))
			}
			for i, w := range tt.want {
				o := rec.Observations[i]
				if o.Finding.Severity != w.sev || o.ToolSeverity != w.tool || o.Finding.Location.URL != w.url || o.Evidence != w.ev {
					t.Errorf("observation %d = %s/%s at %q with evidence %q; want %s/%s at %q with %q",
						i, o.Finding.Severity, o.ToolSeverity, o.Finding.Location.URL, o.Evidence, w.sev, w.tool, w.url, w.ev)
				}
			}
			// Flush empties the grouper.
			rec2 := &reporttest.Recorder{}
			if err := g.Flush(context.Background(), rec2); err != nil || len(rec2.Observations) != 0 {
				t.Errorf("second Flush emitted %d observations (err %v), want none", len(rec2.Observations), err)
			}
		})
	}
}

func TestGrouperCapsInstances(t *testing.T) {
	g := webfinding.NewGrouper()
	for i := 0; i < 105; i++ {
		u := "http://a.example/" + strconv.Itoa(i)
		g.Add("xss", obs("http://a.example", model.SevLow, u), u, "")
	}
	rec := &reporttest.Recorder{}
	if err := g.Flush(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	ev := rec.Observations[0].Evidence
	if !strings.HasPrefix(ev, "Instances (105):\n") || !strings.HasSuffix(ev, "... and 5 more") {
		t.Errorf("evidence does not count the dropped instances: %q...%q", ev[:40], ev[len(ev)-40:])
	}
	if n := strings.Count(ev, "\nhttp://"); n != 100 {
		t.Errorf("evidence lists %d instances, want 100", n)
	}
}

func TestGrouperFlushStopsOnCancel(t *testing.T) {
	g := webfinding.NewGrouper()
	g.Add("xss", obs("http://a.example", model.SevLow, "http://a.example/"), "", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Flush(ctx, &reporttest.Recorder{}); err == nil {
		t.Error("Flush on a cancelled context returned nil")
	}
}
