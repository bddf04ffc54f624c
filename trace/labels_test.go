package trace

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/storage"
)

// TestClusterLabels clusters the test world, labels one address of a
// multi-address cluster, and checks that every other member inherits the
// label naming that address, and that addresses outside the cluster do
// not.
func TestClusterLabels(t *testing.T) {
	db := world.DB
	set, err := cluster.NewSet(cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Rebuild(context.Background(), db, set, 100, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	gen, ok, err := db.ActiveGeneration()
	if err != nil || !ok {
		t.Fatalf("no active clustering: %v", err)
	}
	// Find a cluster with a few members.
	var root storage.AddrID
	var members []storage.AddrID
	st, _ := db.State()
	for id := storage.AddrID(1); id < st.NextAddrID && root == 0; id++ {
		r, err := db.ClusterOf(gen, id)
		if err != nil {
			t.Fatal(err)
		}
		var ms []storage.AddrID
		if err := db.ClusterMembers(gen, r, 0, func(a storage.AddrID) bool { ms = append(ms, a); return len(ms) < 50 }); err != nil {
			t.Fatal(err)
		}
		if len(ms) >= 3 {
			root, members = r, ms
		}
	}
	if root == 0 {
		t.Fatal("no cluster of three addresses in the world")
	}
	labelled := members[1]
	own := MapLabels{labelled: {{Entity: "x9", Category: "exchange", Source: "test", Confidence: 80}}}
	lb, err := NewClusterLabels(own, db, world.Namer())
	if err != nil {
		t.Fatal(err)
	}
	name, _ := world.Namer()(labelled)
	for _, m := range members {
		tags := lb.Tags(m)
		if m == labelled {
			if len(tags) != 1 || tags[0].Via != "" {
				t.Fatalf("labelled member's tags %+v", tags)
			}
			continue
		}
		if len(tags) != 1 || tags[0].Entity != "x9" || tags[0].Via != name {
			t.Fatalf("member %d: tags %+v, want x9 via %s", m, tags, name)
		}
	}
	for id := storage.AddrID(1); id < 200; id++ {
		if r, _ := db.ClusterOf(gen, id); r != root && len(lb.Tags(id)) != 0 {
			t.Fatalf("address %d outside the cluster has tags %+v", id, lb.Tags(id))
		}
	}
	if cl, ok := lb.(*ClusterLabels); !ok || cl.Errors() != 0 {
		t.Fatalf("labeler %T", lb)
	}
}
