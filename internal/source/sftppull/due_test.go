package sftppull_test

import (
	"testing"
	"time"

	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

func TestDueBacksOff(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := store.PullSource{IntervalSeconds: 60}
	ok := store.PullRun{FinishedAt: t0}
	failed := store.PullRun{FinishedAt: t0, Errors: "run failed: dial"}
	fileErr := store.PullRun{FinishedAt: t0, Errors: "a.wav: import: boom"}
	for _, c := range []struct {
		name  string
		runs  []store.PullRun
		after time.Duration
		want  bool
	}{
		{"never ran", nil, 0, true},
		{"interval not over", []store.PullRun{ok}, 59 * time.Second, false},
		{"interval over", []store.PullRun{ok}, 60 * time.Second, true},
		{"file errors do not back off", []store.PullRun{fileErr}, 60 * time.Second, true},
		{"one failure doubles", []store.PullRun{failed, ok}, 119 * time.Second, false},
		{"one failure, doubled over", []store.PullRun{failed, ok}, 120 * time.Second, true},
		{"two failures", []store.PullRun{failed, failed}, 239 * time.Second, false},
		{"capped at an hour", []store.PullRun{failed, failed, failed, failed, failed, failed}, time.Hour, true},
	} {
		if got := sftppull.Due(src, c.runs, t0.Add(c.after)); got != c.want {
			t.Errorf("%s: Due = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseAction(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"delete": "delete", "keep": "keep", "move:/done": "move:/done"} {
		a, err := sftppull.ParseAction(in)
		if err != nil || a.String() != want {
			t.Errorf("ParseAction(%q) = %v, %v", in, a, err)
		}
	}
	for _, in := range []string{"", "move:", "archive"} {
		if _, err := sftppull.ParseAction(in); err == nil {
			t.Errorf("ParseAction(%q) accepted", in)
		}
	}
}
