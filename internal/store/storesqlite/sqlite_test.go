package storesqlite_test

import (
	"testing"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesqlite"
	"github.com/callimport/callimport/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return storesqlite.OpenTest(t) })
}

func BenchmarkCallCreate(b *testing.B) {
	storetest.BenchmarkCallCreate(b, storesqlite.OpenTest(b))
}

func BenchmarkCallList(b *testing.B) {
	storetest.BenchmarkCallList(b, storesqlite.OpenTest(b), 100_000)
}
