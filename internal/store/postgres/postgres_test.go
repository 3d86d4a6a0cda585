package postgres_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}

func TestIntelConformance(t *testing.T) {
	storetest.RunIntel(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}

func TestRescoreConformance(t *testing.T) {
	storetest.RunRescore(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}
