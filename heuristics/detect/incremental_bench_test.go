package detect

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/indexer"
)

// BenchmarkDetectionRun compares one incremental run near the tip (load a
// window of 24 blocks, run every detector) with the batch run over the
// whole simulated chain it is measured against in the same run: report
// the ratio of their ns/op.
func BenchmarkDetectionRun(b *testing.B) {
	ctx := context.Background()
	tip, ok, err := world.DB.Tip(indexer.ChainIndexName)
	if err != nil || !ok {
		b.Fatalf("chain tip: %v %v", ok, err)
	}
	b.Run("batch/whole-chain", func(b *testing.B) {
		for range b.N {
			w, err := Load(ctx, world.DB, world.Namer())
			if err == nil {
				_, err = Run(ctx, w, Config{}, nil)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("incremental/window-24", func(b *testing.B) {
		for range b.N {
			w, err := LoadWindow(ctx, world.DB, tip.Height-23, tip.Height, world.Namer())
			if err == nil {
				_, err = Run(ctx, w, Config{}, nil)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
