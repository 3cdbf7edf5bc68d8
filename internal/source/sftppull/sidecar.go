package sftppull

import (
	"strings"
)

// maxSidecar bounds a sidecar JSON file.
const maxSidecar = 256 << 10

// isSidecar reports whether a name is a sidecar JSON (call1.wav.json or call1.json).
func isSidecar(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".json") }
