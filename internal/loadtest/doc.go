// Package loadtest holds the load and fault tests of callimport: a real
// server (internal/app/apptest) over loopback HTTP, driven beyond its
// ingest limits (load_test.go) and through a PostgreSQL outage of a
// server of the test's own (fault_test.go). It has no code but its tests;
// their figures are printed with -v (t.Log), never asserted on time.
package loadtest
