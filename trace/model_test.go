package trace

import (
	"reflect"
	"testing"
)

const btc = 100_000_000

// TestSpreadReferenceVector checks every model on the project's reference
// vector: inputs 3.0 BTC tainted then 7.0 clean, outputs 5.0 and 4.9, fee 0.1.
func TestSpreadReferenceVector(t *testing.T) {
	ins := []Coin{{Value: 3 * btc, Tainted: 3 * btc}, {Value: 7 * btc}}
	outs := []uint64{5 * btc, 490_000_000}
	tests := []struct {
		model      Model
		out1, out2 uint64
		fee        uint64
	}{
		{Poison, 5 * btc, 490_000_000, 10_000_000},
		{Haircut, 150_000_000, 147_000_000, 3_000_000},
		{FIFO, 3 * btc, 0, 0},
		{LIFO, 0, 290_000_000, 10_000_000},
		{TIHO, 3 * btc, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.model.String(), func(t *testing.T) {
			got, fee, err := tc.model.Spread(ins, outs)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Tainted != tc.out1 || got[1].Tainted != tc.out2 || fee.Tainted != tc.fee {
				t.Fatalf("tainted = %d, %d, fee %d; want %d, %d, fee %d",
					got[0].Tainted, got[1].Tainted, fee.Tainted, tc.out1, tc.out2, tc.fee)
			}
			if fee.Value != 10_000_000 {
				t.Fatalf("fee value = %d", fee.Value)
			}
			// Value is conserved by every model but poison, which over-taints.
			if tc.model != Poison {
				if sum := got[0].Tainted + got[1].Tainted + fee.Tainted; sum != 3*btc {
					t.Fatalf("taint not conserved: %d", sum)
				}
			}
		})
	}
}

func TestSpreadSegmentsCarryOrder(t *testing.T) {
	// A FIFO output holding clean then tainted value passes the tainted
	// part on only once the clean part is used up.
	ins := []Coin{{Value: 10, Tainted: 6, Segs: []Segment{{4, false}, {6, true}}}}
	got, fee, err := FIFO.Spread(ins, []uint64{5, 5})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Segment{{4, false}, {1, true}}; !reflect.DeepEqual(got[0].Segs, want) || got[0].Tainted != 1 {
		t.Fatalf("out0 = %+v", got[0])
	}
	if got[1].Tainted != 5 || fee.Value != 0 || fee.Tainted != 0 {
		t.Fatalf("out1 = %+v, fee %+v", got[1], fee)
	}
	got, fee, err = LIFO.Spread(ins, []uint64{7, 2})
	if err != nil {
		t.Fatal(err)
	}
	// From the tail: 6 tainted then 1 clean, kept in queue order.
	if want := []Segment{{1, false}, {6, true}}; !reflect.DeepEqual(got[0].Segs, want) {
		t.Fatalf("lifo out0 segs = %+v", got[0].Segs)
	}
	if got[1].Tainted != 0 || fee.Value != 1 || fee.Tainted != 0 {
		t.Fatalf("lifo out1 = %+v, fee = %+v", got[1], fee)
	}
}

func TestSpreadEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		model   Model
		ins     []Coin
		outs    []uint64
		want    []uint64
		wantFee uint64
		wantErr bool
	}{
		{name: "clean inputs", model: Poison, ins: []Coin{{Value: 5}}, outs: []uint64{5}, want: []uint64{0}},
		{name: "outputs above inputs", model: Haircut, ins: []Coin{{Value: 5, Tainted: 5}}, outs: []uint64{6}, wantErr: true},
		{name: "taint above value", model: FIFO, ins: []Coin{{Value: 5, Tainted: 6}}, outs: []uint64{5}, wantErr: true},
		{name: "haircut rounds down, fee takes rest", model: Haircut, ins: []Coin{{Value: 3, Tainted: 1}}, outs: []uint64{1, 1}, want: []uint64{0, 0}, wantFee: 1},
		{name: "tiho ties keep output order", model: TIHO, ins: []Coin{{Value: 10, Tainted: 5}}, outs: []uint64{4, 4, 2}, want: []uint64{4, 1, 0}},
		{name: "tiho fee takes excess", model: TIHO, ins: []Coin{{Value: 10, Tainted: 10}}, outs: []uint64{4}, want: []uint64{4}, wantFee: 6},
		{name: "huge values do not overflow", model: Haircut, ins: []Coin{{Value: 21e14, Tainted: 21e14 - 1}}, outs: []uint64{21e14}, want: []uint64{21e14 - 1}},
		{name: "no outputs", model: LIFO, ins: []Coin{{Value: 3, Tainted: 3}}, outs: nil, want: []uint64{}, wantFee: 3},
		{name: "unknown model", model: Model(99), ins: []Coin{{Value: 3, Tainted: 3}}, outs: []uint64{3}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fee, err := tc.model.Spread(tc.ins, tc.outs)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tainted := make([]uint64, len(got))
			for i, c := range got {
				tainted[i] = c.Tainted
			}
			if !reflect.DeepEqual(tainted, tc.want) || fee.Tainted != tc.wantFee {
				t.Fatalf("got %v fee %d, want %v fee %d", tainted, fee.Tainted, tc.want, tc.wantFee)
			}
		})
	}
}

func TestParseModel(t *testing.T) {
	for _, m := range []Model{Poison, Haircut, FIFO, LIFO, TIHO} {
		got, err := ParseModel(m.String())
		if err != nil || got != m {
			t.Fatalf("ParseModel(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseModel("lifo2"); err == nil {
		t.Fatal("unknown model accepted")
	}
}

// FuzzSpread checks the invariants every model keeps on any transaction:
// no output holds more taint than value, and the lossless models conserve
// the tainted amount.
func FuzzSpread(f *testing.F) {
	f.Add(uint8(2), uint64(3), uint64(3), uint64(7), uint64(0), uint64(5), uint64(4))
	f.Fuzz(func(t *testing.T, m uint8, v1, t1, v2, t2, w1, w2 uint64) {
		model := Model(m%5 + 1)
		v1, v2 = v1%(1<<52), v2%(1<<52)
		t1, t2 = min(t1, v1), min(t2, v2)
		if w1 > v1+v2 {
			w1 %= v1 + v2 + 1
		}
		w2 %= v1 + v2 - w1 + 1
		ins := []Coin{{Value: v1, Tainted: t1}, {Value: v2, Tainted: t2}}
		outs, fee, err := model.Spread(ins, []uint64{w1, w2})
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, c := range append(outs, fee) {
			if c.Tainted > c.Value {
				t.Fatalf("%s: tainted %d above value %d", model, c.Tainted, c.Value)
			}
			sum += c.Tainted
		}
		if model != Poison && sum != t1+t2 {
			t.Fatalf("%s: taint %d not conserved (%d in)", model, sum, t1+t2)
		}
	})
}
