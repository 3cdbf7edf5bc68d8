//go:build race

package blob_test

// raceEnabled: the race detector adds to every allocation, so heap bounds
// are looser.
const raceEnabled = true
