// Package coinjoin detects CoinJoin transactions and Whirlpool Tx0s. Each
// detector is named and versioned ("whirlpool-mix/1"); a change to what a
// detector accepts gets a new version, so a stored result always says which
// rule produced it. The rules follow the project's heuristics reference
// (§1.4), with the deviations noted on each detector.
package coinjoin

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/spoorhq/spoor/heuristics"
)

// Kinds is a set of detectors, one bit each. The bit values are stored
// with results and are part of the on-disk format: never renumber them.
type Kinds uint16

// The detectors.
const (
	// BlockSci is BlockSci's generic isCoinjoin (a JoinMarket-style
	// equal-output test), the veto BlockSci and GraphSense use.
	BlockSci Kinds = 1 << iota
	// WhirlpoolMix is a Samourai Whirlpool mix.
	WhirlpoolMix
	// WhirlpoolTx0 is a Whirlpool Tx0 (premix). It joins no one: its inputs
	// belong to one wallet, so it never vetoes multi-input clustering.
	WhirlpoolTx0
	// Wasabi1 is a Wasabi 1.x (ZeroLink) round.
	Wasabi1
	// Wasabi2 is a Wasabi 2.0 (WabiSabi) round.
	Wasabi2
	// JoinMarket is a JoinMarket join.
	JoinMarket
	numKinds = iota
)

// All is every detector.
const All Kinds = 1<<numKinds - 1

// Mixing is the detectors whose transactions join several owners' coins,
// so that multi-input clustering must skip them: all but WhirlpoolTx0.
const Mixing = All &^ WhirlpoolTx0

// names are the versioned detector names, in bit order.
var names = [numKinds]string{"blocksci/1", "whirlpool-mix/1", "whirlpool-tx0/1", "wasabi1/1", "wasabi2/1", "joinmarket/1"}

// Names returns the names of the detectors in k, in bit order.
func (k Kinds) Names() []string {
	var out []string
	for i := range numKinds {
		if k&(1<<i) != 0 {
			out = append(out, names[i])
		}
	}
	return out
}

// String returns the detector names joined by commas, or "none".
func (k Kinds) String() string {
	if k == 0 {
		return "none"
	}
	return strings.Join(k.Names(), ",")
}

// Count returns how many detectors k holds.
func (k Kinds) Count() int { return bits.OnesCount16(uint16(k)) }

// Parse returns the detector with the versioned name s, such as
// "joinmarket/1".
func Parse(s string) (Kinds, error) {
	for i, n := range names {
		if n == s {
			return 1 << i, nil
		}
	}
	return 0, fmt.Errorf("unknown CoinJoin detector %q (known: %s)", s, strings.Join(names[:], ", "))
}

// Detect runs the detectors in set on tx and returns those that fire. When
// the Tx0 detector fires, the generic equal-output detectors (BlockSci,
// JoinMarket), which a Tx0's premix outputs trip, are dropped.
func Detect(tx *heuristics.Tx, set Kinds) Kinds {
	if tx.Coinbase || len(tx.Ins) < 2 {
		if set&WhirlpoolTx0 != 0 && !tx.Coinbase && IsWhirlpoolTx0(tx) {
			return WhirlpoolTx0
		}
		return 0
	}
	var k Kinds
	check := func(bit Kinds, f func(*heuristics.Tx) bool) {
		if set&bit != 0 && f(tx) {
			k |= bit
		}
	}
	check(BlockSci, IsBlockSci)
	check(WhirlpoolMix, IsWhirlpoolMix)
	check(WhirlpoolTx0, IsWhirlpoolTx0)
	check(Wasabi1, IsWasabi1)
	check(Wasabi2, IsWasabi2)
	check(JoinMarket, IsJoinMarket)
	if k&WhirlpoolTx0 != 0 {
		// A Tx0's equal premix outputs trip the generic equal-output
		// rules, but a Tx0 spends one wallet's coins.
		k &^= BlockSci | JoinMarket
	}
	return k
}
