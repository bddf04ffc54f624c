package coinjoin

import (
	"testing"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics"
	"github.com/spoorhq/spoor/storage"
)

const wpkh = bitcoin.ClassP2WPKH

// txb builds transactions for the tests: every input and output gets its
// own address and previous transaction unless the test says otherwise.
type txb struct {
	tx   heuristics.Tx
	next storage.AddrID
}

func newTx() *txb { return &txb{next: 1} }

func (b *txb) in(class bitcoin.ScriptClass, values ...uint64) *txb {
	for _, v := range values {
		b.tx.Ins = append(b.tx.Ins, heuristics.Input{Addr: b.next, Class: class, Value: v, PrevTx: storage.TxNum(b.next)})
		b.next++
	}
	return b
}

func (b *txb) out(class bitcoin.ScriptClass, values ...uint64) *txb {
	for _, v := range values {
		b.tx.Outs = append(b.tx.Outs, heuristics.Output{Addr: b.next, Class: class, Value: v})
		b.next++
	}
	return b
}

func (b *txb) opReturn() *txb {
	b.tx.Outs = append(b.tx.Outs, heuristics.Output{Class: bitcoin.ClassNullData})
	return b
}

// sameInputAddr gives every input the address of the first.
func (b *txb) sameInputAddr() *txb {
	for i := range b.tx.Ins {
		b.tx.Ins[i].Addr = b.tx.Ins[0].Addr
	}
	return b
}

func (b *txb) build() *heuristics.Tx { return &b.tx }

func repeat(v uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestDetectors(t *testing.T) {
	tests := []struct {
		name string
		tx   *heuristics.Tx
		want Kinds
	}{
		{"ordinary payment", newTx().in(wpkh, 500_000).out(wpkh, 200_000, 299_000).build(), 0},
		{"two inputs, two outputs", newTx().in(wpkh, 500_000, 300_000).out(wpkh, 700_000, 99_000).build(), 0},
		{"generic equal-output join", newTx().in(wpkh, 3_000_000, 2_500_000, 4_000_000).
			out(wpkh, 2_000_000, 2_000_000, 2_000_000, 990_000, 490_000, 1_990_000).build(), BlockSci | JoinMarket},
		{"equal dust outputs are no join", newTx().in(wpkh, 140_000, 29_128).out(wpkh, 104_398, 1092, 1092, 61_438).build(), 0},
		{"equal outputs from one address", newTx().in(wpkh, 3_000_000, 2_500_000, 4_000_000).sameInputAddr().
			out(wpkh, 2_000_000, 2_000_000, 2_000_000, 990_000, 490_000, 1_990_000).build(), 0},
		{"whirlpool mix with remixers", newTx().in(wpkh, 1_000_000, 1_000_000, 1_000_700, 1_001_200, 1_000_450).
			out(wpkh, repeat(1_000_000, 5)...).build(), WhirlpoolMix},
		{"whirlpool mix of new entrants only", newTx().in(wpkh, 100_500, 100_600, 100_700, 100_800, 100_900).
			out(wpkh, repeat(100_000, 5)...).build(), WhirlpoolMix},
		// All outputs equal and no change: no generic rule fires (a known
		// limit, §1.4.8), and it is no Whirlpool pool.
		{"equal outputs not a pool size", newTx().in(wpkh, 200_500, 200_600, 200_700, 200_800, 200_900).
			out(wpkh, repeat(200_000, 5)...).build(), 0},
		{"whirlpool mix with a legacy input", newTx().in(wpkh, 1_000_000, 1_000_700, 1_001_200, 1_000_450).in(bitcoin.ClassP2PKH, 1_000_300).
			out(wpkh, repeat(1_000_000, 5)...).build(), 0},
		{"whirlpool tx0", newTx().in(wpkh, 3_500_000).out(wpkh, 50_000).out(wpkh, repeat(1_000_800, 3)...).out(wpkh, 395_000).opReturn().build(), WhirlpoolTx0},
		{"whirlpool tx0 without op_return, two premix", newTx().in(wpkh, 2_500_000).out(wpkh, 50_000).out(wpkh, repeat(1_000_800, 2)...).out(wpkh, 447_000).build(), WhirlpoolTx0},
		{"payment near a pool size", newTx().in(wpkh, 1_100_000).out(wpkh, 1_050_000, 45_000).build(), 0},
		{"wasabi 1 round", wasabi1Round(), Wasabi1 | JoinMarket},
		{"wasabi 1 shape, split payout", newTx().in(wpkh, repeat(4_200_000, 12)...).out(wpkh, repeat(10_000_000, 5)...).build(), 0},
		{"wasabi 2 round", wasabi2Round(), Wasabi2},
		{"wasabi 2 shape, unsorted", unsorted(wasabi2Round()), 0},
		{"exchange batch payout", newTx().in(wpkh, 90_000_000).out(bitcoin.ClassP2PKH, repeat(1_000_000, 6)...).out(wpkh, 83_000_000).build(), 0},
		{"coinbase", &heuristics.Tx{Coinbase: true, Outs: []heuristics.Output{{Addr: 1, Value: 50e8}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.tx, All); got != tt.want {
				t.Fatalf("Detect = %s, want %s", got, tt.want)
			}
			if got := Detect(tt.tx, 0); got != 0 {
				t.Fatalf("Detect with no detectors = %s", got)
			}
		})
	}
}

// wasabi1Round is a ZeroLink round: 30 inputs of 25 wallets, 25 outputs of
// 0.1 BTC, change and the coordinator fee.
func wasabi1Round() *heuristics.Tx {
	b := newTx()
	for i := range 30 {
		b.in(wpkh, 11_000_000+uint64(i)*37_000)
	}
	b.out(wpkh, repeat(10_003_000, 25)...)
	for i := range 20 {
		b.out(wpkh, 900_000+uint64(i)*11_111)
	}
	b.out(wpkh, 130_000)
	// Five wallets bring two coins each.
	for i := 25; i < 30; i++ {
		b.tx.Ins[i].Addr = b.tx.Ins[i-25].Addr
	}
	return b.build()
}

// wasabi2Round is a WabiSabi round: 12 inputs sorted by value, outputs of
// standard denominations sorted by value.
func wasabi2Round() *heuristics.Tx {
	b := newTx()
	b.in(bitcoin.ClassP2TR, 9_000_000, 7_100_000, 5_300_000, 4_000_000, 3_200_000, 2_650_000, 1_800_000, 1_234_567, 900_000, 650_000, 400_000, 300_000)
	b.out(wpkh, 5_000_000, 2_000_000, 2_000_000, 2_000_000, 1_594_323, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 531_441, 531_441,
		500_000, 500_000, 500_000, 200_000, 200_000, 131_072, 100_000, 100_000, 50_000, 20_000, 17_212)
	return b.build()
}

func unsorted(tx *heuristics.Tx) *heuristics.Tx {
	tx.Outs[0], tx.Outs[len(tx.Outs)-1] = tx.Outs[len(tx.Outs)-1], tx.Outs[0]
	return tx
}

func TestWasabiDenominations(t *testing.T) {
	for v, want := range map[uint64]bool{
		5_000: true, 4_999: false, 8_192: true, 6_561: true, 13_122: true, 10_000: true, 20_000: true, 50_000: true,
		100_000_000: true, 12_345: false, 30_000: false, 134_375_000_000: false, 137_438_953_472: false, 1_000_000_000: true,
	} {
		if got := IsWasabiDenomination(v); got != want {
			t.Errorf("IsWasabiDenomination(%d) = %v", v, got)
		}
	}
}

func TestParseNames(t *testing.T) {
	for _, n := range All.Names() {
		k, err := Parse(n)
		if err != nil || k.Count() != 1 || k.Names()[0] != n {
			t.Fatalf("Parse(%q) = %s %v", n, k, err)
		}
	}
	if _, err := Parse("whirlpool/1"); err == nil {
		t.Fatal("an unknown detector parsed")
	}
	if Mixing&WhirlpoolTx0 != 0 || All.Count() != 6 || Kinds(0).String() != "none" {
		t.Fatalf("Mixing %s, All %s", Mixing, All)
	}
}
