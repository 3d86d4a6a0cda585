// Package cliutil holds parsing shared by the command line and the API.
package cliutil

import (
	"fmt"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// ParseAssetRef reads KIND:NAME (e.g. repository:github.com/acme/shop), the
// asset for findings whose report names none.
func ParseAssetRef(v string) (report.AssetRef, error) {
	kind, name, ok := strings.Cut(v, ":")
	if !ok || name == "" {
		return report.AssetRef{}, fmt.Errorf("%q: want KIND:NAME, e.g. repository:github.com/acme/shop", v)
	}
	k := model.AssetKind(kind)
	known := false
	for _, ak := range model.AssetKinds {
		known = known || ak == k
	}
	if !known {
		return report.AssetRef{}, fmt.Errorf("%q: unknown asset kind %q", v, kind)
	}
	idKind := model.IDName
	switch k {
	case model.AssetRepository:
		if strings.Contains(name, "/") {
			idKind = model.IDRepoURL
		}
	case model.AssetWebApp:
		idKind = model.IDURL
	case model.AssetImage:
		idKind = model.IDImageRef
	case model.AssetHost:
		idKind = model.IDHostname
	}
	return report.AssetRef{Kind: k, Name: name, Identifiers: []model.Identifier{{Kind: idKind, Value: name}}}, nil
}
