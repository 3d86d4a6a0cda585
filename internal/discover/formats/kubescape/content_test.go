package kubescape_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/kubescape"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestFileScan(t *testing.T) {
	rec := reporttest.ParseCorpus(t, kubescape.New(), "kubescape/with_a_failure.json")
	type got struct {
		Rule, Title string
		Severity    model.Severity
		Location    model.Location
	}
	var gots []got
	for _, o := range rec.Observations {
		gots = append(gots, got{o.ToolID, o.Finding.Title, o.Finding.Severity, o.Finding.Location})
		if o.Asset.Kind != model.AssetRepository || !strings.HasPrefix(o.Evidence, "Failed rules:") {
			t.Errorf("%+v", o)
		}
	}
	loc := model.Location{File: "nginx.yaml", Resource: "nginx.yaml:Deployment/nginx-deployment"}
	want := []got{
		{"C-0030", "Ingress and Egress blocked", model.SevMedium, loc},
		{"C-0055", "Linux hardening", model.SevMedium, loc},
		{"C-0260", "Missing network policy", model.SevMedium, loc},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNoFailures(t *testing.T) {
	rec := reporttest.ParseCorpus(t, kubescape.New(), "kubescape/results.json")
	if len(rec.Observations) != 0 || len(rec.Assets) != 1 {
		t.Errorf("%d observations, %d assets", len(rec.Observations), len(rec.Assets))
	}
}

// A cluster scan names objects namespace/kind/name within their cluster.
func TestClusterScan(t *testing.T) {
	const report = `{"clusterName": "prod", "customerGUID": "x", "summaryDetails": {"controls": {"C-0017": {"name": "Immutable container filesystem", "scoreFactor": 3, "remediation": "Set readOnlyRootFilesystem"}}},
	"resources": [{"resourceID": "apps/v1/default/Deployment/web", "object": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}}},
	              {"resourceID": "rbac.authorization.k8s.io/v1//ClusterRole/admin", "object": {"kind": "ClusterRole", "metadata": {"name": "admin"}}}],
	"results": [{"resourceID": "apps/v1/default/Deployment/web", "controls": [{"controlID": "C-0017", "name": "Immutable container filesystem", "status": {"status": "failed"},
	  "rules": [{"name": "immutable-container-filesystem", "status": "failed", "paths": [{"fixPath": {"path": "spec.x", "value": "true"}}]}]}]}]}`
	rec := &reporttest.Recorder{}
	if err := kubescape.New().Parse(context.Background(), strings.NewReader(report), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Assets) != 2 || len(rec.Observations) != 1 {
		t.Fatalf("%d assets, %d observations", len(rec.Assets), len(rec.Observations))
	}
	o := rec.Observations[0]
	if diff := cmp.Diff([]model.Identifier{{Kind: model.IDCloudID, Value: "prod:default/Deployment/web"}}, o.Asset.Identifiers); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if o.Asset.Kind != model.AssetCloud || o.Asset.Attributes["namespace"] != "default" || o.Finding.Severity != model.SevLow ||
		o.Finding.Remediation != "Set readOnlyRootFilesystem" || o.Finding.Location.Resource != "default/Deployment/web" {
		t.Errorf("%+v", o)
	}
	if id := rec.Assets[1].Identifiers[0].Value; id != "prod:ClusterRole/admin" {
		t.Errorf("cluster-scoped id %q", id)
	}
}
