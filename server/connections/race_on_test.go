//go:build race

package connections

// raceEnabled: under the race detector sync.Pool drops items at random,
// so counting allocations says nothing there.
const raceEnabled = true
