//go:build race

package main

// raceEnabled: the bench's tiny runs wait on real time and a PostgreSQL
// start, and the race detector triples them; they run in make test's
// non-race pass instead, which is what keeps the bench from rotting.
const raceEnabled = true
