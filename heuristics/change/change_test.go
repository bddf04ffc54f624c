package change

import (
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/storage"
)

func in(addr storage.AddrID, class bitcoin.ScriptClass, v uint64) heuristics.Input {
	return heuristics.Input{Addr: addr, Class: class, Value: v}
}

func out(addr storage.AddrID, class bitcoin.ScriptClass, v uint64) heuristics.Output {
	return heuristics.Output{Addr: addr, Class: class, Value: v}
}

const (
	wpkh = bitcoin.ClassP2WPKH
	pkh  = bitcoin.ClassP2PKH
	tr   = bitcoin.ClassP2TR
)

func TestDetect(t *testing.T) {
	// Addresses 100 and up are fresh (FreshFrom 100).
	tests := []struct {
		name     string
		ins      []heuristics.Input
		outs     []heuristics.Output
		coinJoin bool
		want     Result
		found    bool
	}{
		{"policy: fresh, optimal, same type, not round",
			[]heuristics.Input{in(1, wpkh, 2_000_000)}, []heuristics.Output{out(50, pkh, 1_000_000), out(100, wpkh, 987_654)}, false,
			Result{Vout: 1, Rules: PowerOfTen | Optimal | AddressType | Fresh | OneTime, Confidence: ConfidencePolicy}, true},
		{"address reuse beats everything",
			[]heuristics.Input{in(1, wpkh, 2_000_000)}, []heuristics.Output{out(100, wpkh, 1_234_567), out(1, wpkh, 765_000)}, false,
			Result{Vout: 1, Rules: PowerOfTen | Optimal | AddressType | Reuse, Confidence: ConfidenceReuse}, true},
		{"both outputs look like change",
			[]heuristics.Input{in(1, wpkh, 2_000_000)}, []heuristics.Output{out(100, wpkh, 1_234_567), out(101, wpkh, 765_001)}, false,
			Result{}, false},
		{"round change is not change",
			[]heuristics.Input{in(1, wpkh, 2_500_000)}, []heuristics.Output{out(50, wpkh, 1_234_567), out(100, wpkh, 1_000_000)}, false,
			Result{}, false},
		{"mixed input types: one-time change cannot fire, policy cannot either",
			[]heuristics.Input{in(1, wpkh, 2_000_000), in(2, pkh, 1_000_000)}, []heuristics.Output{out(50, pkh, 2_000_000), out(100, wpkh, 987_654)}, false,
			Result{}, false},
		{"three outputs: one-time change",
			[]heuristics.Input{in(1, tr, 5_000_000)}, []heuristics.Output{out(50, wpkh, 1_000_000), out(51, pkh, 2_000_000), out(100, tr, 1_987_654)}, false,
			Result{Vout: 2, Rules: PowerOfTen | Optimal | AddressType | Fresh | OneTime, Confidence: ConfidenceOneTime}, true},
		{"three outputs, value a multiple of 1000: nothing",
			[]heuristics.Input{in(1, tr, 5_000_000)}, []heuristics.Output{out(50, wpkh, 1_000_000), out(51, pkh, 2_000_000), out(100, tr, 1_987_000)}, false,
			Result{}, false},
		{"change larger than an input is not optimal",
			[]heuristics.Input{in(1, wpkh, 2_000_000), in(2, wpkh, 300_000)}, []heuristics.Output{out(50, pkh, 1_500_000), out(100, wpkh, 787_654)}, false,
			Result{}, false},
		{"coinjoin has no change",
			[]heuristics.Input{in(1, wpkh, 2_000_000)}, []heuristics.Output{out(50, pkh, 1_000_000), out(100, wpkh, 987_654)}, true,
			Result{}, false},
		{"op_return is never change",
			[]heuristics.Input{in(1, wpkh, 2_000_000)}, []heuristics.Output{{Class: bitcoin.ClassNullData}, out(100, wpkh, 1_987_654)}, false,
			Result{Vout: 1, Rules: PowerOfTen | Optimal | AddressType | Fresh | OneTime, Confidence: ConfidenceOneTime}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := &heuristics.Tx{Ins: tt.ins, Outs: tt.outs, FreshFrom: 100}
			got, ok := Detect(tx, tt.coinJoin)
			if ok != tt.found || got != tt.want {
				t.Fatalf("Detect = %s %v, want %s %v", got, ok, tt.want, tt.found)
			}
		})
	}
}

func TestRulesString(t *testing.T) {
	if s := (Optimal | Fresh).String(); s != "optimal+fresh" {
		t.Fatalf("String = %q", s)
	}
	if s := Rules(0).String(); s != "none" {
		t.Fatalf("String = %q", s)
	}
}
