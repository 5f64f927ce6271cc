//go:build race

package server_test

// raceEnabled: the race detector slows the 100,000-voucher sync about
// sevenfold, so that test runs in make test's separate non-race pass.
const raceEnabled = true
