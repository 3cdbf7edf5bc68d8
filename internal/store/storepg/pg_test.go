package storepg_test

import (
	"testing"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return storepg.OpenTest(t) })
}

func BenchmarkCallCreate(b *testing.B) {
	storetest.BenchmarkCallCreate(b, storepg.OpenTest(b))
}

func BenchmarkCallList(b *testing.B) {
	storetest.BenchmarkCallList(b, storepg.OpenTest(b), 100_000)
}
