package labels

import (
	"context"
	"reflect"
	"testing"

	"github.com/spoorhq/spoor/storage"
)

// TestStoreRoundTrip stores the fixtures' Bitcoin labels, reads them back
// by subject, and imports them again: nothing is duplicated.
func TestStoreRoundTrip(t *testing.T) {
	db, err := storage.Open(t.TempDir(), "bitcoin/mainnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var btc []Entry
	for _, e := range parseFixtures(t) {
		if e.Chain == ChainBitcoin {
			btc = append(btc, e)
		}
	}
	res, err := Store(context.Background(), db, btc)
	if err != nil {
		t.Fatal(err)
	}
	if res != (StoreResult{Stored: 9}) {
		t.Fatalf("first import = %+v", res)
	}
	check := func() {
		t.Helper()
		n := 0
		for _, e := range btc {
			l := e.Label
			var got []storage.Label
			if l.Subject == storage.SubjectTx {
				got, err = db.TxLabels(l.Txid)
			} else {
				got, err = db.AddressLabels(l.AddrClass, l.AddrPayload)
			}
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, g := range got {
				if reflect.DeepEqual(g, l) {
					found = true
				}
			}
			if !found {
				t.Errorf("label %+v not read back; %s has %+v", l, e.Ref, got)
			}
			n++
		}
		if c, err := db.CountLabels(); err != nil || c != 9 {
			t.Fatalf("index holds %d labels (%v), want 9", c, err)
		}
	}
	check()
	res, err = Store(context.Background(), db, btc)
	if err != nil {
		t.Fatal(err)
	}
	if res != (StoreResult{Stored: 9, Replaced: 9}) {
		t.Fatalf("second import = %+v", res)
	}
	check()
	// The genesis address carries three labels: TagPack, OFAC and CSV.
	c, p := mainnetAddr(t, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
	got, err := db.AddressLabels(c, p)
	if err != nil || len(got) != 3 {
		t.Fatalf("genesis address labels = %+v, %v", got, err)
	}
	// Importing a pack that repeats an entry stores it once; the pack's
	// other labels from before (four TagPack addresses) are replaced.
	res, err = Store(context.Background(), db, append(btc[:1:1], btc[0]))
	if err != nil || res != (StoreResult{Stored: 1, Replaced: 4, Duplicates: 1}) {
		t.Fatalf("import with a duplicate = %+v, %v", res, err)
	}
}
