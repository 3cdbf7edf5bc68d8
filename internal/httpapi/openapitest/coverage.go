package openapitest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Coverage is what the transports of a Doc have seen so far.
type Coverage struct {
	Operations []OperationCoverage
	// Unmatched counts requests that no documented operation serves.
	Unmatched int
	// BeforeRouting counts net/http's own refusals (400, 431 in plain
	// text), which reach no operation.
	BeforeRouting int
}

// OperationCoverage is one documented operation and the statuses it was
// seen answering.
type OperationCoverage struct {
	Operation
	// Seen counts the answers by status; empty when never exercised.
	Seen map[int]int
}

// Exercised reports whether the operation answered at least once.
func (o OperationCoverage) Exercised() bool { return len(o.Seen) > 0 }

// Unseen returns the documented statuses that were never answered
// ("4XX"-style ranges and "default" count as seen when any status they
// cover was).
func (o OperationCoverage) Unseen() []string {
	var out []string
	for _, s := range o.Statuses {
		if !o.seenStatus(s) {
			out = append(out, s)
		}
	}
	return out
}

func (o OperationCoverage) seenStatus(doc string) bool {
	if doc == "default" {
		return len(o.Seen) > 0
	}
	if len(doc) == 3 && strings.HasSuffix(strings.ToUpper(doc), "XX") {
		for st := range o.Seen {
			if strconv.Itoa(st)[0] == doc[0] {
				return true
			}
		}
		return false
	}
	n, err := strconv.Atoi(doc)
	return err == nil && o.Seen[n] > 0
}

// Coverage returns a snapshot of the operations and statuses seen.
func (d *Doc) Coverage() Coverage {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := Coverage{Unmatched: d.unmatched, BeforeRouting: d.beforeRouting, Operations: make([]OperationCoverage, len(d.ops))}
	for i, o := range d.ops {
		c.Operations[i] = OperationCoverage{Operation: o.Operation, Seen: maps.Clone(d.seen[o.ID])}
		if c.Operations[i].Seen == nil {
			c.Operations[i].Seen = map[int]int{}
		}
	}
	return c
}

// Missing returns the ids of the operations never exercised, but those in
// ignore.
func (c Coverage) Missing(ignore ...string) []string {
	var out []string
	for _, o := range c.Operations {
		if !o.Exercised() && !slices.Contains(ignore, o.ID) {
			out = append(out, o.ID)
		}
	}
	return out
}

// String renders the coverage as a table: one line per operation with the
// statuses seen (and how often) and the documented statuses never seen.
func (c Coverage) String() string {
	var b strings.Builder
	for _, o := range c.Operations {
		seen := make([]string, 0, len(o.Seen))
		for _, st := range slices.Sorted(maps.Keys(o.Seen)) {
			seen = append(seen, fmt.Sprintf("%d×%d", st, o.Seen[st]))
		}
		mark := "  "
		if !o.Exercised() {
			mark = "✗ "
		}
		fmt.Fprintf(&b, "%s%-20s %-7s %-28s seen [%s] never [%s]\n", mark, o.ID, o.Method, o.Path,
			strings.Join(seen, " "), strings.Join(o.Unseen(), " "))
	}
	fmt.Fprintf(&b, "requests to no documented operation: %d; refused by net/http before routing: %d\n", c.Unmatched, c.BeforeRouting)
	return b.String()
}

// CoverOptions tunes AssertCovered.
type CoverOptions struct {
	// Ignore lists operation ids that need not be exercised (such as
	// "getMetrics" when the server under test runs without metrics).
	Ignore []string
	// Statuses lists, by operation id, statuses that must have been seen,
	// such as {"createCall": {201, 200, 409, 413, 415, 422}}.
	Statuses map[string][]int
}

// AssertCovered fails t (t.Errorf) for every operation never exercised
// through the Doc's transports, but those in opts.Ignore, and for every
// status of opts.Statuses never seen. The coverage table is logged.
func (d *Doc) AssertCovered(t testing.TB, opts CoverOptions) {
	t.Helper()
	c := d.Coverage()
	t.Logf("openapitest: coverage of the OpenAPI document:\n%s", c)
	if missing := c.Missing(opts.Ignore...); len(missing) > 0 {
		t.Errorf("openapitest: %d operation(s) never exercised: %s", len(missing), strings.Join(missing, ", "))
	}
	byID := map[string]OperationCoverage{}
	for _, o := range c.Operations {
		byID[o.ID] = o
	}
	for _, id := range slices.Sorted(maps.Keys(opts.Statuses)) {
		o, ok := byID[id]
		if !ok {
			t.Errorf("openapitest: CoverOptions.Statuses names %q, which is not a documented operation", id)
			continue
		}
		var unseen []string
		for _, st := range opts.Statuses[id] {
			if o.Seen[st] == 0 {
				unseen = append(unseen, strconv.Itoa(st))
			}
		}
		if len(unseen) > 0 {
			t.Errorf("openapitest: %s never answered %s", id, strings.Join(unseen, ", "))
		}
	}
}
