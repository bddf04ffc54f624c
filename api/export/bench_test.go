package export

import (
	"context"
	"encoding/json"
	"io"
	"testing"
)

// BenchmarkWrite writes the fixture trace (about a thousand nodes and
// edges) in every format, reporting MB/s and ns per graph element. The
// reference is BenchmarkWrite/json-reference, encoding/json of the trace
// result itself, the cheapest faithful serialisation: compare each
// format's ns/op with it, in the same run, for the cost of the format.
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	elems := float64(len(world.graph.Nodes) + len(world.graph.Edges))
	run := func(b *testing.B, write func(io.Writer) error) {
		var cw countingDiscard
		if err := write(&cw); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(cw.n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := write(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/elems, "ns/element")
	}
	b.Run("json-reference", func(b *testing.B) {
		run(b, func(w io.Writer) error { return json.NewEncoder(w).Encode(world.result) })
	})
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			run(b, func(w io.Writer) error { return Write(ctx, w, f, world.graph, Options{}) })
		})
	}
}

type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
