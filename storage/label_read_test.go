package storage

import (
	"reflect"
	"testing"
)

func putLabels(t *testing.T, db *DB, replacePack string, ls ...Label) {
	t.Helper()
	b := db.NewBatch()
	defer b.Close()
	if replacePack != "" {
		if _, err := b.DeleteLabelPack(replacePack); err != nil {
			t.Fatal(err)
		}
	}
	for i := range ls {
		b.PutLabel(&ls[i])
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
}

func allLabels(t *testing.T, db *DB) []Label {
	t.Helper()
	var out []Label
	if err := db.ScanLabels(func(l *Label) error { out = append(out, *l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLabelsStoreAndRead(t *testing.T) {
	db, err := Open(t.TempDir(), "bitcoin/regtest", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ls := sampleLabels()
	putLabels(t, db, "", ls...)
	// A second import of the same labels, one of them with a new
	// confidence, overwrites rather than duplicates.
	again := sampleLabels()
	again[0].Confidence = 90
	putLabels(t, db, "", again...)
	if got := allLabels(t, db); len(got) != len(ls) {
		t.Fatalf("after re-import the index holds %d labels, want %d: %+v", len(got), len(ls), got)
	}
	got, err := db.AddressLabels(ls[0].AddrClass, ls[0].AddrPayload)
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], again[0]) {
		t.Fatalf("AddressLabels = %+v, %v; want %+v", got, err, again[0])
	}
	// The same payload under another class is another address.
	if got, err := db.AddressLabels(3, ls[0].AddrPayload); err != nil || len(got) != 0 {
		t.Fatalf("labels of another class = %+v, %v", got, err)
	}
	tx, err := db.TxLabels(ls[1].Txid)
	if err != nil || len(tx) != 1 || !reflect.DeepEqual(tx[0], ls[1]) {
		t.Fatalf("TxLabels = %+v, %v", tx, err)
	}
	if got, err := db.TxLabels([32]byte{9}); err != nil || len(got) != 0 {
		t.Fatalf("labels of an unlabelled tx = %+v, %v", got, err)
	}
	// A second label on the same address with another source is kept
	// alongside the first.
	second := ls[0]
	second.Source = "https://example.org/other"
	second.Pack = "other"
	putLabels(t, db, "", second)
	if got, _ := db.AddressLabels(ls[0].AddrClass, ls[0].AddrPayload); len(got) != 2 {
		t.Fatalf("address has %d labels, want 2", len(got))
	}
	if n, err := db.CountLabels(); err != nil || n != 4 {
		t.Fatalf("CountLabels = %d, %v; want 4", n, err)
	}
}

func TestDeleteLabelPack(t *testing.T) {
	db, err := Open(t.TempDir(), "bitcoin/regtest", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mk := func(pack, entity string, payload byte) Label {
		return Label{Subject: SubjectAddress, AddrClass: 2, AddrPayload: []byte{payload}, Entity: entity,
			Category: "sanction", Source: "list", Pack: pack}
	}
	putLabels(t, db, "", mk("OFAC SDN", "A", 1), mk("OFAC SDN", "B", 2), mk("mine", "C", 3))
	// A newer list drops B and adds D: replacing the pack leaves exactly
	// the new list plus the other pack.
	putLabels(t, db, "OFAC SDN", mk("OFAC SDN", "A", 1), mk("OFAC SDN", "D", 4))
	var entities []string
	for _, l := range allLabels(t, db) {
		entities = append(entities, l.Entity)
	}
	if want := []string{"A", "C", "D"}; !reflect.DeepEqual(entities, want) {
		t.Fatalf("after replacing the pack: %v, want %v", entities, want)
	}
	// A label that moved to another pack survives deleting its old pack.
	putLabels(t, db, "", mk("mine", "A", 1))
	b := db.NewBatch()
	n, err := b.DeleteLabelPack("OFAC SDN")
	if err != nil || n != 1 {
		t.Fatalf("DeleteLabelPack = %d, %v; want 1 (only D)", n, err)
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	entities = nil
	for _, l := range allLabels(t, db) {
		entities = append(entities, l.Entity+"@"+l.Pack)
	}
	if want := []string{"A@mine", "C@mine"}; !reflect.DeepEqual(entities, want) {
		t.Fatalf("after deleting the pack: %v, want %v", entities, want)
	}
}
