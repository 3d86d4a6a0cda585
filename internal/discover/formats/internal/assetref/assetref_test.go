package assetref_test

import (
	"reflect"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/assetref"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

func TestAddIDAndIP(t *testing.T) {
	var ref report.AssetRef
	steps := []func(){
		func() { assetref.AddID(&ref, model.IDARN, " arn:aws:ec2:r:1:instance/i-1 ") },
		func() { assetref.AddID(&ref, model.IDARN, "arn:aws:ec2:r:1:instance/i-1") },     // repeat
		func() { assetref.AddID(&ref, model.IDCloudID, "  ") },                           // blank
		func() { assetref.AddID(&ref, model.IDCloudID, "arn:aws:ec2:r:1:instance/i-1") }, // same value, other kind
		func() { assetref.AddIP(&ref, " 10.0.0.1 ") },
		func() { assetref.AddIP(&ref, "::ffff:10.0.0.1") }, // the same address
		func() { assetref.AddIP(&ref, "0.0.0.0") },         // placeholder
		func() { assetref.AddIP(&ref, "::") },              // placeholder
		func() { assetref.AddIP(&ref, "not an address") },
		func() { assetref.AddIP(&ref, "2001:db8::1") },
	}
	for _, step := range steps {
		step()
	}
	want := []model.Identifier{
		{Kind: model.IDARN, Value: "arn:aws:ec2:r:1:instance/i-1"},
		{Kind: model.IDCloudID, Value: "arn:aws:ec2:r:1:instance/i-1"},
		{Kind: model.IDIPv4, Value: "10.0.0.1"},
		{Kind: model.IDIPv6, Value: "2001:db8::1"},
	}
	if !reflect.DeepEqual(ref.Identifiers, want) {
		t.Errorf("identifiers = %+v, want %+v", ref.Identifiers, want)
	}
}

func TestSetAttr(t *testing.T) {
	m := map[string]string{"region": "eu-west-1"}
	assetref.SetAttr(m, "account", " 123 ")
	assetref.SetAttr(m, "region", " ")
	assetref.SetAttr(m, "type", "")
	want := map[string]string{"region": "eu-west-1", "account": "123"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("attributes = %v, want %v", m, want)
	}
}
