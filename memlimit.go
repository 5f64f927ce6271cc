package main

import (
	"log/slog"
	"runtime/debug"
)

// defaultMemoryLimit is the soft limit of the serving process's heap when
// the deployment names none: a burst of TIFF conversions peaked at 1.4–1.7
// GB without one. It is soft: the collector runs harder near it, nothing is
// refused; GOMEMLIMIT (the Go runtime's own setting) overrides it.
const defaultMemoryLimit = 768 << 20

// memoryLimit is the limit serve sets, and whether it sets one: none when
// GOMEMLIMIT is given, which the runtime has applied itself.
func memoryLimit(getenv func(string) (string, bool)) (int64, bool) {
	if _, ok := getenv("GOMEMLIMIT"); ok {
		return 0, false
	}
	return defaultMemoryLimit, true
}

// limitMemory applies memoryLimit.
func limitMemory(getenv func(string) (string, bool), log *slog.Logger) {
	if limit, ok := memoryLimit(getenv); ok {
		debug.SetMemoryLimit(limit)
		log.Debug("memory limit", "bytes", limit, "from", "default (GOMEMLIMIT overrides)")
	}
}
