package trace

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// indexLabels labels the simulated world's exchanges, one of them as
// sanctioned and one as a gambling site, so exposure has several
// categories.
func indexLabels(t *testing.T) MapLabels {
	t.Helper()
	exch, _ := truthLabels(t)
	labels := MapLabels{}
	for id, tags := range exch {
		tag := tags[0]
		switch tag.Entity {
		case "x0":
			tag.Category = "sanction"
		case "x1":
			tag.Category = "gambling"
		}
		labels[id] = []Tag{tag}
	}
	return labels
}

func worldState(t *testing.T, labels MapLabels) IndexState {
	t.Helper()
	tip, ok, err := world.DB.Tip("chain")
	if err != nil || !ok {
		t.Fatalf("chain tip: %v %v", ok, err)
	}
	return IndexState{LabelsHash: LabelsHash(labels), TipHeight: tip.Height, TipHash: tip.Hash}
}

// TestExposureIndexEqualsWalk builds the index over the simulated world
// and checks that, for a spread of addresses and every hop limit, the
// stored figures are those a walk computes.
func TestExposureIndexEqualsWalk(t *testing.T) {
	ctx := context.Background()
	labels := indexLabels(t)
	e := NewEngine(world.DB, labels, world.Namer())
	st, err := world.DB.State()
	if err != nil {
		t.Fatal(err)
	}
	stride := max(1, int(st.NextAddrID)/100)
	if testing.Short() {
		stride *= 4
	}
	for _, hops := range []int{2, 4} {
		t.Run("hops"+itoa(hops), func(t *testing.T) {
			lim := ExposureLimits{MaxHops: hops, MaxSteps: 200_000, Exact: true}
			stats, err := BuildExposureIndex(ctx, world.DB, labels, lim, worldState(t, labels).Stamp())
			if err != nil {
				t.Fatal(err)
			}
			if stats.Addresses != int(st.NextAddrID)-1 || len(stats.Categories) != 4 {
				t.Fatalf("stats %+v", stats)
			}
			ix, err := OpenExposureIndex(world.DB, func() (IndexState, error) { return worldState(t, labels), nil })
			if err != nil {
				t.Fatal(err)
			}
			compared, withIndirect := 0, 0
			for a := 1; a < int(st.NextAddrID); a += stride {
				id := storage.AddrID(a)
				rx, sx, ok, err := ix.exposures(id)
				if err != nil || !ok {
					t.Fatalf("address %d: entry %v %v", id, ok, err)
				}
				for _, pair := range []struct {
					dir Direction
					got *Exposure
				}{{Receiving, rx}, {Sending, sx}} {
					want, err := e.Exposure(ctx, id, pair.dir, lim)
					if err != nil {
						t.Fatal(err)
					}
					if want.Partial {
						continue
					}
					compared++
					if len(want.Indirect) > 0 {
						withIndirect++
					}
					sameExposure(t, id, want, pair.got)
				}
			}
			t.Logf("compared %d exposures with the walk, %d with indirect exposure", compared, withIndirect)
			if compared < 100 || withIndirect < 10 {
				t.Fatalf("compared %d exposures, %d with indirect exposure: too few", compared, withIndirect)
			}
		})
	}
}

func sameExposure(t *testing.T, id storage.AddrID, want, got *Exposure) {
	t.Helper()
	close := func(a, b uint64) bool { return math.Abs(float64(a)-float64(b)) <= 1+1e-9*float64(max(a, b)) }
	if want.Total != got.Total || !close(want.Unattributed, got.Unattributed) || want.Transfers != got.Transfers {
		t.Fatalf("address %d %s: walk total %d unattributed %d transfers %d, index %d %d %d",
			id, want.Direction, want.Total, want.Unattributed, want.Transfers, got.Total, got.Unattributed, got.Transfers)
	}
	for _, m := range []struct {
		kind      string
		want, got map[string]*CategoryExposure
	}{{"direct", want.Direct, got.Direct}, {"indirect", want.Indirect, got.Indirect}} {
		if len(m.want) != len(m.got) {
			t.Fatalf("address %d %s %s: walk categories %v, index %v", id, want.Direction, m.kind, keys(m.want), keys(m.got))
		}
		for c, w := range m.want {
			g := m.got[c]
			if g == nil || !close(w.Amount, g.Amount) || math.Abs(w.Share-g.Share) > 1e-9 || w.MinHop != g.MinHop {
				t.Fatalf("address %d %s %s %s: walk %+v, index %+v", id, want.Direction, m.kind, c, w, g)
			}
		}
	}
}

func keys(m map[string]*CategoryExposure) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestScreenFromIndex checks that a screening comes from a fresh index
// with the walk's risk, and that a stale or mismatched index is never
// served: the walk answers and the result says why.
func TestScreenFromIndex(t *testing.T) {
	ctx := context.Background()
	labels := indexLabels(t)
	lim := ExposureLimits{MaxHops: 3, MaxSteps: 200_000, Exact: true}
	if _, err := BuildExposureIndex(ctx, world.DB, labels, lim, worldState(t, labels).Stamp()); err != nil {
		t.Fatal(err)
	}
	state := worldState(t, labels)
	ix, err := OpenExposureIndex(world.DB, func() (IndexState, error) { return state, nil })
	if err != nil {
		t.Fatal(err)
	}
	live := NewEngine(world.DB, labels, world.Namer())
	fast := live.WithExposureIndex(ix)
	// Customers of the sanctioned exchange and some others.
	var ids []storage.AddrID
	for id, tags := range labels {
		if tags[0].Category != "sanction" {
			continue
		}
		_ = world.DB.Postings(id, nil, func(p storage.Posting) bool {
			ins, _ := world.DB.Inputs(p.TxNum)
			for _, in := range ins {
				if in.AddrID != 0 && labels[in.AddrID] == nil {
					ids = append(ids, in.AddrID)
				}
			}
			return len(ids) < 10
		})
		if len(ids) >= 10 {
			break
		}
	}
	ids = append(ids, 5, 50, 500)
	severe := 0
	for _, id := range ids {
		want, err := live.Screen(ctx, id, nil, lim)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fast.Screen(ctx, id, nil, ExposureLimits{MaxHops: 3})
		if err != nil {
			t.Fatal(err)
		}
		if want.Source != "live" || got.Source != "index" || got.IndexNote != "" {
			t.Fatalf("address %d: sources %q and %q (%s)", id, want.Source, got.Source, got.IndexNote)
		}
		if want.Partial {
			continue
		}
		if want.Risk != got.Risk || len(want.Reasons) != len(got.Reasons) {
			t.Fatalf("address %d: walk risk %s %+v, index %s %+v", id, want.Risk, want.Reasons, got.Risk, got.Reasons)
		}
		if got.Risk == RiskSevere {
			severe++
		}
		// Asking for evidence keeps the indexed figures and adds the
		// walk's paths to them.
		ev, err := fast.Screen(ctx, id, nil, ExposureLimits{MaxHops: 3, Evidence: true})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Source != "index" || ev.Risk != want.Risk {
			t.Fatalf("address %d: evidence screening from %s, risk %s", id, ev.Source, ev.Risk)
		}
		for _, x := range []*Exposure{ev.Receiving, ev.Sending} {
			for c, ce := range x.Direct {
				if ce.Amount > 0 && len(ce.Paths) == 0 {
					t.Fatalf("address %d: direct %s exposure of %d without paths", id, c, ce.Amount)
				}
			}
		}
	}
	if severe == 0 {
		t.Fatal("no customer of the sanctioned exchange screened severe from the index")
	}

	tests := []struct {
		name  string
		state func(IndexState) IndexState
		lim   ExposureLimits
		note  string
	}{
		{"labels changed", func(s IndexState) IndexState { s.LabelsHash[0]++; return s }, ExposureLimits{MaxHops: 3}, "labels changed"},
		{"new clustering", func(s IndexState) IndexState { s.Clustered, s.Generation = true, 2; return s }, ExposureLimits{MaxHops: 3}, "clustering generation"},
		{"new tip", func(s IndexState) IndexState { s.TipHeight++; return s }, ExposureLimits{MaxHops: 3}, "built at height"},
		{"other hops", func(s IndexState) IndexState { return s }, ExposureLimits{MaxHops: 2}, "holds 3 hops, 2 asked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.state(state)
			ix, err := OpenExposureIndex(world.DB, func() (IndexState, error) { return now, nil })
			if err != nil {
				t.Fatal(err)
			}
			s, err := live.WithExposureIndex(ix).Screen(ctx, ids[0], nil, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			if s.Source != "live" || !strings.Contains(s.IndexNote, tc.note) {
				t.Fatalf("source %q, note %q; want a walk and a note with %q", s.Source, s.IndexNote, tc.note)
			}
		})
	}
}

func TestLabelsHash(t *testing.T) {
	a := MapLabels{1: {{Entity: "e", Category: "exchange", Source: "s", Confidence: 50}, {Entity: "f", Category: "scam", Source: "s", Confidence: 50}}}
	b := MapLabels{1: {{Entity: "f", Category: "scam", Source: "s", Confidence: 50}, {Entity: "e", Category: "exchange", Source: "s", Confidence: 50}}}
	c := MapLabels{1: {{Entity: "e", Category: "exchange", Source: "s", Confidence: 51}, {Entity: "f", Category: "scam", Source: "s", Confidence: 50}}}
	d := MapLabels{2: a[1]}
	if LabelsHash(a) != LabelsHash(b) {
		t.Fatal("tag order changed the hash")
	}
	for name, m := range map[string]MapLabels{"confidence": c, "address": d, "empty": {}} {
		if LabelsHash(a) == LabelsHash(m) {
			t.Fatalf("%s change kept the hash", name)
		}
	}
}

// TestExposureIndexStateOncePerSecond checks that the index state is read
// at most once a second however many screenings ask, and that a change
// is seen once the second has passed.
func TestExposureIndexStateOncePerSecond(t *testing.T) {
	reads := 0
	st := IndexState{TipHeight: 7}
	clock := time.Unix(1_700_000_000, 0)
	ix := &ExposureIndex{ok: true, meta: storage.ExposureMeta{MaxHops: 4, MaxFanout: 1000, MaxTransfers: 10_000, TipHeight: 7},
		state: func() (IndexState, error) { reads++; return st, nil }, now: func() time.Time { return clock }}
	lim, err := ExposureLimits{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if ok, why, err := ix.Usable(lim); !ok || err != nil {
			t.Fatalf("not usable: %s %v", why, err)
		}
	}
	if reads != 1 {
		t.Fatalf("%d state reads for 100 screenings in one second", reads)
	}
	st.TipHeight = 8 // a new block
	clock = clock.Add(999 * time.Millisecond)
	if ok, _, _ := ix.Usable(lim); !ok || reads != 1 {
		t.Fatalf("state read again within the second (%d reads)", reads)
	}
	clock = clock.Add(time.Millisecond)
	if ok, why, _ := ix.Usable(lim); ok || reads != 2 || !strings.Contains(why, "built at height 7") {
		t.Fatalf("after a second: usable %v (%s), %d reads", ok, why, reads)
	}
}

// TestScreenEvidenceOneSide checks that asking evidence of one side walks
// that side only: its categories get the paths a two-sided request gives
// them, and the other side keeps its figures without paths.
func TestScreenEvidenceOneSide(t *testing.T) {
	ctx := context.Background()
	labels := indexLabels(t)
	lim := ExposureLimits{MaxHops: 3}
	if _, err := BuildExposureIndex(ctx, world.DB, labels, lim, worldState(t, labels).Stamp()); err != nil {
		t.Fatal(err)
	}
	state := worldState(t, labels)
	ix, err := OpenExposureIndex(world.DB, func() (IndexState, error) { return state, nil })
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(world.DB, labels, world.Namer()).WithExposureIndex(ix)
	checked := 0
	for id := storage.AddrID(1); id < 400 && checked < 5; id += 7 {
		both, err := e.Screen(ctx, id, nil, ExposureLimits{MaxHops: 3, Evidence: true})
		if err != nil {
			t.Fatal(err)
		}
		if both.Source != "index" {
			t.Fatalf("address %d: screened from %s (%s)", id, both.Source, both.IndexNote)
		}
		for _, side := range []Direction{Receiving, Sending} {
			one, err := e.Screen(ctx, id, nil, ExposureLimits{MaxHops: 3, Evidence: true, EvidenceOnly: side})
			if err != nil {
				t.Fatal(err)
			}
			asked, other, full := one.Receiving, one.Sending, both.Receiving
			if side == Sending {
				asked, other, full = one.Sending, one.Receiving, both.Sending
			}
			if !reflect.DeepEqual(asked, full) {
				t.Fatalf("address %d: %s evidence differs from a two-sided request", id, side)
			}
			for c, ce := range other.Direct {
				if len(ce.Paths) > 0 {
					t.Fatalf("address %d: %s asked, yet the other side's %s has paths", id, side, c)
				}
			}
			if len(full.Direct)+len(full.Indirect) > 0 {
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no screened address had any exposure to compare")
	}
}
