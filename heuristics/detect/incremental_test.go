package detect

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// detectRows returns the rows of the incremental detection tables (D, d,
// q, o) and the detection tip.
func detectRows(t *testing.T, db *storage.DB) string {
	t.Helper()
	var buf strings.Builder
	if err := db.DumpDetect(&buf, IncrementalIndexName); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// connectOne connects the committed block at height h to x in a batch of
// its own and commits it, as the indexer does near the tip.
func connectOne(t *testing.T, x *Incremental, h uint32) {
	t.Helper()
	cb, err := indexer.LoadConnectedBlock(world.DB, h)
	if err != nil {
		t.Fatal(err)
	}
	b := world.DB.NewBatch()
	defer b.Close()
	if err := x.ConnectBlock(b, cb); err != nil {
		t.Fatal(err)
	}
	b.PutTip(x.Name(), cb.Tip())
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	x.Committed()
}

// disconnectOne disconnects the block at height h from x, as the indexer
// does in a reorganisation.
func disconnectOne(t *testing.T, x *Incremental, h uint32) {
	t.Helper()
	cb, err := indexer.LoadConnectedBlock(world.DB, h)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := indexer.LoadConnectedBlock(world.DB, h-1)
	if err != nil {
		t.Fatal(err)
	}
	b := world.DB.NewBatch()
	defer b.Close()
	if err := x.DisconnectBlock(b, cb); err != nil {
		t.Fatal(err)
	}
	b.PutTip(x.Name(), prev.Tip())
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	x.Committed()
}

// incremental reads back every stored incremental finding and alert.
func incremental(t *testing.T) ([]Finding, []Alert, map[uint32]int) {
	t.Helper()
	var fs []Finding
	at := map[uint32]int{}
	err := world.DB.IncFindings(storage.IncFindingKey{}, func(k storage.IncFindingKey, sf storage.StoredFinding) (bool, error) {
		f, err := DecodeFinding(sf.Value)
		fs = append(fs, f)
		at[k.Height]++
		return err == nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var as []Alert
	err = world.DB.IncAlerts(func(_ storage.AlertID, _ uint32, v []byte) (bool, error) {
		a, err := DecodeAlert(v)
		as = append(as, a)
		return err == nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fs, as, at
}

func chainTip(t *testing.T) uint32 {
	t.Helper()
	tip, ok, err := world.DB.Tip(indexer.ChainIndexName)
	if err != nil || !ok {
		t.Fatalf("chain tip: %v %v", ok, err)
	}
	return tip.Height
}

// TestIncrementalMatchesBatch runs incremental detection over the whole
// simulated chain as the indexer's catch-up does (one commit, runs every
// half window), with a window covering the chain and with one of a sixth
// of it, and compares what it finds of the planted scenarios with the
// batch run.
func TestIncrementalMatchesBatch(t *testing.T) {
	ctx := context.Background()
	tip := chainTip(t)
	batch := evaluate(t)
	batchFound := map[string]Score{}
	for _, s := range batch.Scores {
		batchFound[s.Detector] = s
	}
	tests := []struct {
		name   string
		window uint32
		// lose names the detectors allowed to find fewer planted
		// instances than batch with this window, and why.
		lose map[string]string
	}{
		{"window covers the chain", tip + 1, nil},
		{"window of a sixth of the chain", (tip + 1) / 6, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := world.DB.DropIncDetection(IncrementalIndexName); err != nil {
				t.Fatal(err)
			}
			x, err := NewIncremental(ctx, world.DB, Config{Incremental: IncrementalConfig{Enabled: true, WindowBlocks: tc.window}}, world.Namer(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := indexer.CatchUp(ctx, world.DB, x, 0, nil); err != nil {
				t.Fatal(err)
			}
			if err := x.Detect(ctx); err != nil {
				t.Fatal(err)
			}
			if mark, err := world.DB.DetectMark(); err != nil || mark != tip+1 {
				t.Fatalf("detection mark %d (%v), want %d", mark, err, tip+1)
			}
			fs, as, _ := incremental(t)
			spent := map[string]bool{}
			for a, s := range loaded.Sent {
				if len(s) > 0 {
					spent[loaded.Name(a)] = true
				}
			}
			ev, err := Evaluate(truth, fs, as, func(a string) bool { return spent[a] })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("window %d blocks of %d: %d runs, %d findings (batch %d), %d alerts (batch %d), %d naming a planted instance (batch %d)",
				tc.window, tip+1, x.Runs(), len(fs), len(result.Findings), len(as), len(result.Alerts), ev.AlertsOnPlanted, batch.AlertsOnPlanted)
			if tc.window > tip && ev.AlertsOnPlanted < batch.AlertsOnPlanted {
				t.Errorf("a window over the whole chain raises %d alerts on planted instances, batch %d", ev.AlertsOnPlanted, batch.AlertsOnPlanted)
			}
			for _, s := range ev.Scores {
				b := batchFound[s.Detector]
				t.Logf("%-20s planted %3d found %3d (batch %3d) findings %4d (batch %4d) decoy hits %d (batch %d) F1 %.3f (batch %.3f)",
					s.Detector, s.Planted, s.Found, b.Found, s.Findings, b.Findings, s.DecoyHits, b.DecoyHits, s.F1, b.F1)
				if s.Found < b.Found && tc.lose[s.Detector] == "" {
					t.Errorf("%s: incremental finds %d planted instances, batch %d; missed: %v", s.Detector, s.Found, b.Found, ev.MissedDetail)
				}
				if s.DecoyHits > b.DecoyHits {
					t.Errorf("%s: incremental hits %d decoys, batch %d", s.Detector, s.DecoyHits, b.DecoyHits)
				}
			}
		})
	}
}

// TestIncrementalReorgUndoesExactly connects the last blocks one by one,
// disconnects them down to the first height that raised findings, and
// checks that the detection tables are exactly as they were before that
// height; connecting the blocks again raises exactly the same rows.
func TestIncrementalReorgUndoesExactly(t *testing.T) {
	ctx := context.Background()
	tip := chainTip(t)
	const last = 6
	if err := world.DB.DropIncDetection(IncrementalIndexName); err != nil {
		t.Fatal(err)
	}
	x, err := NewIncremental(ctx, world.DB, Config{Incremental: IncrementalConfig{Enabled: true, WindowBlocks: 24}}, world.Namer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Catch up in bulk to tip-last, then block by block.
	base := tip - last
	b := world.DB.NewBatch()
	for h := uint32(0); h <= base; h++ {
		cb, err := indexer.LoadConnectedBlock(world.DB, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.ConnectBlock(b, cb); err != nil {
			t.Fatal(err)
		}
		b.PutTip(x.Name(), cb.Tip())
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	x.Committed()
	before := map[uint32]string{}
	for h := base + 1; h <= tip; h++ {
		before[h] = detectRows(t, world.DB)
		runs := x.Runs()
		connectOne(t, x, h)
		if x.Runs() != runs+1 {
			t.Fatalf("height %d: %d runs, want one", h, x.Runs()-runs)
		}
	}
	full := detectRows(t, world.DB)
	_, _, at := incremental(t)
	first := uint32(0)
	for h := base + 1; h <= tip; h++ {
		if at[h] > 0 {
			first = h
			break
		}
	}
	if first == 0 {
		t.Fatalf("no finding raised at heights %d..%d: the test proves nothing", base+1, tip)
	}
	raised := 0
	for h := first; h <= tip; h++ {
		raised += at[h]
	}
	for h := tip; h >= first; h-- {
		disconnectOne(t, x, h)
	}
	if got := detectRows(t, world.DB); got != before[first] {
		t.Fatalf("after disconnecting %d..%d (%d findings raised there) the detection tables differ from before:\n%s", first, tip, raised, firstDiff(got, before[first]))
	}
	for h := first; h <= tip; h++ {
		connectOne(t, x, h)
	}
	if got := detectRows(t, world.DB); got != full {
		t.Fatalf("connecting %d..%d again stores other rows:\n%s", first, tip, firstDiff(got, full))
	}
	t.Logf("disconnected and reconnected heights %d..%d, which raised %d findings", first, tip, raised)
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got  %.300s\n want %.300s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(al), len(bl))
}

func TestRunHeights(t *testing.T) {
	tests := []struct {
		name      string
		mark, tip uint32
		cfg       IncrementalConfig
		want      string
	}{
		{"every block, one new", 10, 10, IncrementalConfig{WindowBlocks: 100, EveryBlocks: 1}, "[10]"},
		{"nothing new", 11, 10, IncrementalConfig{WindowBlocks: 100, EveryBlocks: 1}, "[]"},
		{"every 5, 3 pending", 10, 12, IncrementalConfig{WindowBlocks: 100, EveryBlocks: 5}, "[]"},
		{"every 5, 5 pending", 10, 14, IncrementalConfig{WindowBlocks: 100, EveryBlocks: 5}, "[14]"},
		{"catch-up steps by half a window", 0, 250, IncrementalConfig{WindowBlocks: 100, EveryBlocks: 1}, "[49 99 149 199 249 250]"},
		{"window of 2", 0, 3, IncrementalConfig{WindowBlocks: 2, EveryBlocks: 1}, "[0 1 2 3]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fmt.Sprint(runHeights(tc.mark, tc.tip, tc.cfg))
			if tc.want == "[]" && got == "[]" {
				return
			}
			if got != tc.want {
				t.Fatalf("runHeights(%d, %d, %+v) = %s, want %s", tc.mark, tc.tip, tc.cfg, got, tc.want)
			}
		})
	}
}
