//go:build !unix

package formdata

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
