package scope

import (
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
)

type identVars struct {
	Kind  string `cel:"kind"`
	Value string `cel:"value"`
}

type assetVars struct {
	Kind        string            `cel:"kind"`
	Name        string            `cel:"name"`
	Identifiers []identVars       `cel:"identifiers"`
	Hostnames   []string          `cel:"hostnames"`
	Tags        map[string]string `cel:"tags"`
	Criticality int               `cel:"criticality"`
	Exposed     bool              `cel:"internet_exposed"`
}

type act struct {
	a   *assetVars
	now time.Time
}

func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Types(cel.NativeTypeFor[assetVars](types.NativeTypeAlias("ctem.Asset"), types.ParseStructTags(true))),
		cel.Variable("asset", cel.ObjectType("ctem.Asset")),
		cel.Variable("now", cel.TimestampType),
	)
}
