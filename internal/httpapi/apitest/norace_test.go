//go:build !race

package apitest_test

// raceEnabled is true when the race detector instruments the test binary.
const raceEnabled = false
