package main

import "testing"

// The serving process has a soft memory limit unless the deployment gives
// its own through GOMEMLIMIT, which the Go runtime reads itself: a burst of
// TIFF conversions then makes the collector work harder instead of growing
// the process past what a small instance has.
func TestDefaultMemoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		limit int64
		set   bool
	}{
		{"no GOMEMLIMIT", nil, defaultMemoryLimit, true},
		{"GOMEMLIMIT given", map[string]string{"GOMEMLIMIT": "300MiB"}, 0, false},
		{"GOMEMLIMIT off", map[string]string{"GOMEMLIMIT": "off"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			limit, set := memoryLimit(getenv)
			if limit != tt.limit || set != tt.set {
				t.Errorf("memoryLimit() = %d, %v, want %d, %v", limit, set, tt.limit, tt.set)
			}
		})
	}
	if defaultMemoryLimit < 256<<20 || defaultMemoryLimit > 2<<30 {
		t.Errorf("defaultMemoryLimit = %d MiB, want a limit a small instance has (256 MiB–2 GiB)", defaultMemoryLimit>>20)
	}
}
