package labels

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseFixtures(t *testing.T) []Entry {
	t.Helper()
	var all []Entry
	for _, f := range []string{"testdata/tagpack.yaml", "testdata/sdn.xml", "testdata/labels.csv"} {
		set, _, err := ParseFile(context.Background(), f, FormatAuto, Options{Now: importTime})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, set.Entries...)
	}
	return all
}

func TestRoute(t *testing.T) {
	entries := parseFixtures(t)
	// An empty data directory: the Bitcoin index is created, the Ethereum
	// labels are skipped because there is no Ethereum index.
	dir := t.TempDir()
	rt, err := Route(dir, entries, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.Targets) != 1 || rt.Targets[0].Stamp != "bitcoin/mainnet" || !rt.Targets[0].Create ||
		rt.Targets[0].Dir != filepath.Join(dir, "bitcoin", "mainnet") || len(rt.Targets[0].Entries) != 9 {
		t.Fatalf("targets = %+v", rt.Targets)
	}
	if n := rt.Skipped["ethereum: no Ethereum index at "+filepath.Join(dir, "ethereum")]; n != 3 || len(rt.Skipped) != 1 {
		t.Fatalf("skipped = %v", rt.Skipped)
	}

	// With an Ethereum index the Ethereum labels go there.
	if err := os.MkdirAll(filepath.Join(dir, "ethereum"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bitcoin", "mainnet"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt, err = Route(dir, entries, false)
	if err != nil || len(rt.Targets) != 2 || rt.Targets[0].Create || rt.Targets[1].Stamp != "ethereum" || len(rt.Targets[1].Entries) != 3 {
		t.Fatalf("targets = %+v, %v", rt.Targets, err)
	}

	// A data directory that indexes regtest only: a mainnet label is an
	// error naming the address and both networks.
	reg := t.TempDir()
	if err := os.MkdirAll(filepath.Join(reg, "bitcoin", "regtest"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Route(reg, entries, false)
	want := `label "Satoshi Nakamoto genesis coinbase": 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa is a mainnet address, but ` + reg + ` indexes bitcoin regtest`
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want %q", err, want)
	}
	rt, err = Route(reg, entries, true)
	if err != nil || len(rt.Targets) != 0 || len(rt.Invalid) != 9 || !strings.Contains(rt.Invalid[8].Error(), "0496b538") {
		t.Fatalf("skip invalid: %+v, %v", rt, err)
	}
}
