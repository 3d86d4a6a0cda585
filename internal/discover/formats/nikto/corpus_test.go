package nikto_test

// The corpus tests every web-scanner format shares (internal/webtest).

import (
	"slices"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtest"
	"github.com/ctemhq/ctem/internal/discover/formats/nikto"
	"github.com/ctemhq/ctem/internal/discover/report"
)

func TestManifestCounts(t *testing.T) {
	webtest.ManifestCounts(t, nikto.New(), formatName, countExceptions)
}

func TestDetect(t *testing.T) { webtest.Detect(t, nikto.New(), formatName) }

// checkErrors parses each input and wants a positioned *report.ParseError.
func checkErrors(t *testing.T, inputs map[string][]byte, truncate ...string) {
	t.Helper()
	webtest.CheckErrors(t, nikto.New(), inputs, truncate...)
}

type summary = webtest.Summary

func summarize(o report.Observation) summary { return webtest.Summarize(o) }

func byToolID(obs []report.Observation, id, title string) (report.Observation, bool) {
	return webtest.ByToolID(obs, id, title)
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }
