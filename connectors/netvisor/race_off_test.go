//go:build !race

package netvisor

const raceEnabled = false
