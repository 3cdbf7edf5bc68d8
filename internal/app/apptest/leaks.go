package apptest

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// leakPatterns are what logs must never hold: e-mail addresses (agents,
// users), phone numbers in international format (metadata), and secrets
// in callimport's own formats (API keys, OAuth client secrets, bearer
// tokens). Ids and prefixes shorter than a secret are allowed.
var leakPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"e-mail address", regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)},
	{"phone number", regexp.MustCompile(`\+\d{9,15}\b`)},
	{"secret", regexp.MustCompile(`\bci[kst]_[A-Za-z0-9_-]{16,}`)},
}

// Leaks returns the lines of logs that hold personal data or a secret:
// anything leakPatterns match, and every non-empty string of known (the
// test's own secrets, e-mails and metadata values).
func Leaks(logs []byte, known ...string) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range leakPatterns {
			if m := p.re.FindString(line); m != "" {
				out = append(out, p.what+" "+m+" in: "+line)
			}
		}
		for _, k := range known {
			if k != "" && strings.Contains(line, k) {
				out = append(out, "known secret in: "+line)
			}
		}
	}
	return out
}
