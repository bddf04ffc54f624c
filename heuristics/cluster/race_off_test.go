//go:build !race

package cluster

// raceEnabled is true when the race detector is on: tests use a smaller
// simulated chain.
const raceEnabled = false
