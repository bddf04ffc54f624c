//go:build !race

package sim

// raceEnabled reports whether the race detector is on; tests then use
// smaller chains.
const raceEnabled = false
