package postgres_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/storetest"
)

func TestIntelConformance(t *testing.T) {
	storetest.RunIntel(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}
