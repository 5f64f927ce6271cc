//go:build race

package netvisor

// raceEnabled: the race detector slows a 200 MB stream tenfold.
const raceEnabled = true
