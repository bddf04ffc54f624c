// Package change finds the change output of a transaction with BlockSci's
// static change rules and GraphSense's one-time-change rule, and says which
// rules fired and how confident the choice is. The result is stored per
// transaction for tracing; clustering uses it only when asked to, above a
// confidence (BlockSci warns that change clustering collapses clusters).
//
// The dynamic BlockSci rules (peeling chain, locktime, fixed fee) look at
// how an output is spent later, which a block-by-block index does not know
// when it connects the block; they are not implemented.
package change

import (
	"fmt"
	"strings"

	"github.com/spoorhq/spoor/heuristics"
)

// Name is the versioned name of the change detector as a whole: the rules
// below and the policy that picks one output from them.
const Name = "change/1"

// Rules is a set of change rules, one bit each. The bit values are stored
// with results and are part of the on-disk format: never renumber them.
type Rules uint8

// The rules. Each says an output cannot be ruled out as change.
const (
	// PowerOfTen: the value is not a multiple of 0.01 BTC (BlockSci
	// power_of_ten_value, 6 digits).
	PowerOfTen Rules = 1 << iota
	// Optimal: the value is below every input (BlockSci optimal_change).
	Optimal
	// AddressType: every input has one script class and the output has it
	// too (BlockSci address_type).
	AddressType
	// Reuse: the output pays one of the input addresses (BlockSci
	// address_reuse; GraphSense "direct change").
	Reuse
	// Fresh: the output address appears in the chain for the first time
	// (BlockSci client_change_address_behavior).
	Fresh
	// OneTime: GraphSense's one-time change, as far as it can be told when
	// the transaction confirms: 2 to 10 outputs, same class as the
	// inputs, value not a multiple of 1,000 sat and below every input, a
	// fresh address paid once in the transaction, and the only output
	// that qualifies.
	OneTime
	numRules = iota
)

var ruleNames = [numRules]string{"power-of-ten", "optimal", "address-type", "address-reuse", "fresh", "one-time"}

// String returns the rule names joined by "+", or "none".
func (r Rules) String() string {
	var out []string
	for i := range numRules {
		if r&(1<<i) != 0 {
			out = append(out, ruleNames[i])
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "+")
}

// Confidences of the three ways an output is chosen, in percent.
const (
	// ConfidenceReuse: the output pays an input address back.
	ConfidenceReuse = 100
	// ConfidencePolicy: the unique output of a two-output transaction that
	// is optimal, fresh, of the inputs' class and not a round amount (the
	// policy the heuristics reference recommends for change clustering).
	ConfidencePolicy = 70
	// ConfidenceOneTime: GraphSense's one-time change.
	ConfidenceOneTime = 50
)

// Result is the change output found in a transaction.
type Result struct {
	Vout       uint32
	Rules      Rules // every rule that holds for the chosen output
	Confidence uint8 // percent
}

// String describes the result.
func (r Result) String() string {
	return fmt.Sprintf("output %d (%s, confidence %d)", r.Vout, r.Rules, r.Confidence)
}

// Detect returns the change output of tx, and false if there is none or it
// is not clear which output it is. CoinJoins (coinJoin set) get none.
func Detect(tx *heuristics.Tx, coinJoin bool) (Result, bool) {
	if tx.Coinbase || coinJoin || len(tx.Ins) == 0 {
		return Result{}, false
	}
	rules := make([]Rules, len(tx.Outs))
	inClass, sameClass := tx.InputClass()
	minIn := tx.MinInput()
	inAddrs := make(map[uint64]struct{}, len(tx.Ins))
	for _, in := range tx.Ins {
		inAddrs[uint64(in.Addr)] = struct{}{}
	}
	paid := make(map[uint64]int, len(tx.Outs))
	spendable := 0
	for _, o := range tx.Outs {
		if o.Spendable() {
			paid[uint64(o.Addr)]++
			spendable++
		}
	}
	for i, o := range tx.Outs {
		if !o.Spendable() {
			continue
		}
		var r Rules
		if o.Value%1_000_000 != 0 {
			r |= PowerOfTen
		}
		if o.Value < minIn {
			r |= Optimal
		}
		if sameClass && o.Class == inClass {
			r |= AddressType
		}
		if _, ok := inAddrs[uint64(o.Addr)]; ok {
			r |= Reuse
		}
		if o.Addr >= tx.FreshFrom {
			r |= Fresh
		}
		rules[i] = r
	}
	// One-time change: exactly one output qualifies.
	if n := len(tx.Outs); n >= 2 && n <= 10 {
		one := -1
		for i, o := range tx.Outs {
			r := rules[i]
			if o.Spendable() && r&(Optimal|AddressType|Fresh) == Optimal|AddressType|Fresh && o.Value%1000 != 0 && paid[uint64(o.Addr)] == 1 {
				if one >= 0 {
					one = -2
					break
				}
				one = i
			}
		}
		if one >= 0 {
			rules[one] |= OneTime
		}
	}
	if i, ok := unique(rules, func(r Rules) bool { return r&Reuse != 0 }); ok {
		return Result{Vout: uint32(i), Rules: rules[i], Confidence: ConfidenceReuse}, true
	}
	policy := Optimal | Fresh | AddressType | PowerOfTen
	if spendable == 2 {
		if i, ok := unique(rules, func(r Rules) bool { return r&policy == policy }); ok {
			return Result{Vout: uint32(i), Rules: rules[i], Confidence: ConfidencePolicy}, true
		}
	}
	if i, ok := unique(rules, func(r Rules) bool { return r&OneTime != 0 }); ok {
		return Result{Vout: uint32(i), Rules: rules[i], Confidence: ConfidenceOneTime}, true
	}
	return Result{}, false
}

// unique returns the only index whose rules satisfy ok.
func unique(rules []Rules, ok func(Rules) bool) (int, bool) {
	found := -1
	for i, r := range rules {
		if ok(r) {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}
