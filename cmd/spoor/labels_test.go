package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoorhq/spoor/api/labels"
	"github.com/spoorhq/spoor/internal/chaindata"
	"github.com/spoorhq/spoor/storage"
)

const labelFixtures = "../../api/labels/testdata/"

// mainnetIndex indexes the real mainnet blocks 0-14131 into a new data
// directory.
func mainnetIndex(t *testing.T) string {
	t.Helper()
	blk, err := chaindata.MainnetBlk0To14131(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, errs := runCLI(t, "index", "bitcoin", "--blocks", blk, "--datadir", dir, "--log-level", "warn"); code != 0 {
		t.Fatalf("index exited %d: %s", code, errs)
	}
	return dir
}

func listJSON(t *testing.T, args ...string) []labels.View {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"labels", "list", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("labels list %v: exit %d: %s", args, code, errs)
	}
	var vs []labels.View
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return vs
}

func TestLabelsImportAndList(t *testing.T) {
	dir := mainnetIndex(t)
	files := []string{labelFixtures + "tagpack.yaml", labelFixtures + "actorpack.yaml", labelFixtures + "sdn.xml", labelFixtures + "labels.csv"}
	code, out, errs := runCLI(t, append([]string{"labels", "import", "--datadir", dir}, files...)...)
	if code != 0 {
		t.Fatalf("import exited %d: %s", code, errs)
	}
	for _, want := range []string{
		`actorpack.yaml: actorpack "Early actors": 1 actors`,
		`tagpack.yaml: tagpack "Early Bitcoin history": 5 labels, 1 skipped`,
		`sdn.xml: ofac "OFAC SDN": 4 labels, 2 skipped`,
		`labels.csv: csv "labels.csv": 3 labels`,
		"bitcoin/mainnet  stored 9  (0 replaced from earlier imports of the same packs)",
		"skipped          ethereum: no Ethereum index at " + filepath.Join(dir, "ethereum") + ": 3",
		"skipped          currency LTC is not indexed: 1",
		"skipped          ticker LTC is not indexed: 1",
		"skipped          ticker USDT address outside Ethereum (such as Tron): 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}

	// The genesis coinbase address carries the TagPack, OFAC and CSV
	// labels; the index has seen it (block 0).
	vs := listJSON(t, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "--datadir", dir)
	got := map[string]labels.View{}
	for _, v := range vs {
		got[v.Pack] = v
	}
	if len(vs) != 3 || got["OFAC SDN"].Entity != "EXAMPLE DARKNET MARKET LLC" || got["OFAC SDN"].Category != "sanction" ||
		got["OFAC SDN"].Confidence != 60 || got["OFAC SDN"].Source != "OFAC SDN 2024-09-27" ||
		got["Early Bitcoin history"].Confidence != 100 || !got["Early Bitcoin history"].ClusterDefiner ||
		got["labels.csv"].Entity != "Satoshi Nakamoto" || got["labels.csv"].Date != "2009-01-03T00:00:00Z" {
		t.Fatalf("genesis address labels = %+v", vs)
	}
	if code, _, errs := runCLI(t, "address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "--datadir", dir); code != 0 {
		t.Fatalf("the labelled index no longer answers address queries: %s", errs)
	}
	vs = listJSON(t, "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", "--datadir", dir)
	if len(vs) != 1 || vs[0].Txid != "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" || vs[0].Category != "donation" {
		t.Fatalf("tx labels = %+v", vs)
	}
	vs = listJSON(t, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "--datadir", dir)
	if len(vs) != 2 || vs[0].Entity != "Early Miner Collective" || vs[0].TagLabel != "early miner" || strings.Join(vs[0].Jurisdictions, ",") != "US,SV" {
		t.Fatalf("actor-resolved labels = %+v", vs)
	}
	if all := listJSON(t, "--datadir", dir); len(all) != 9 {
		t.Fatalf("%d labels in all, want 9", len(all))
	}

	// Importing the same files again, and the same list as
	// sdn_advanced.xml, changes nothing.
	code, out, errs = runCLI(t, append([]string{"labels", "import", "--datadir", dir, labelFixtures + "sdn_advanced.xml"}, files...)...)
	if code != 0 || !strings.Contains(out, "bitcoin/mainnet  stored 9  (9 replaced from earlier imports of the same packs, 3 repeated entries)") {
		t.Fatalf("re-import exited %d:\n%s%s", code, out, errs)
	}
	if all := listJSON(t, "--datadir", dir); len(all) != 9 {
		t.Fatalf("%d labels after re-import, want 9", len(all))
	}

	code, out, _ = runCLI(t, "labels", "list", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "--datadir", dir)
	if code != 0 || !strings.Contains(out, "DOE, John") || !strings.Contains(out, "scam (victim)") {
		t.Fatalf("text list exited %d:\n%s", code, out)
	}
}

func TestLabelsEthereum(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := storage.Open(filepath.Join(dir, "ethereum"), "ethereum", nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs := runCLI(t, "labels", "import", "--datadir", dir, labelFixtures+"sdn_advanced.xml", labelFixtures+"labels.csv")
	if code != 0 || !strings.Contains(out, "ethereum         stored 2") || !strings.Contains(out, "bitcoin/mainnet  stored 5") {
		t.Fatalf("import exited %d:\n%s%s", code, out, errs)
	}
	vs := listJSON(t, "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", "--datadir", dir)
	if len(vs) != 1 || vs[0].Chain != "ethereum" || vs[0].Address != "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB" || vs[0].Entity != "EXAMPLE DARKNET MARKET LLC" {
		t.Fatalf("ethereum labels = %+v", vs)
	}
}

func TestLabelsBadInput(t *testing.T) {
	dir := mainnetIndex(t)
	tmp := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	regtestRow := write("regtest.csv", "address,chain,entity,category,source,confidence\n"+
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,bitcoin,Satoshi,miner,S,90\n"+
		"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080,bitcoin-regtest,Regtest wallet,exchange,S,50\n")
	badTag := write("bad.yaml", "title: T\ncreator: C\ntags:\n  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: L\n    source: S\n    currency: BTC\n    confidence: sure\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"network mismatch", []string{regtestRow}, 1,
			`label "Regtest wallet": bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080 is a regtest address, but ` + dir + ` indexes bitcoin mainnet`},
		{"bad tagpack", []string{badTag}, 1, badTag + `: tags[0] (line 8): confidence: unknown confidence level "sure"`},
		{"unknown format", []string{"--format", "json", badTag}, 1, `unknown label format "json"`},
		{"missing file", []string{filepath.Join(tmp, "nope.csv")}, 1, "nope.csv: no such file or directory"},
		{"undetectable", []string{write("labels.txt", "x")}, 1, "labels.txt: cannot tell the label format from the extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCLI(t, append([]string{"labels", "import", "--datadir", dir}, tt.args...)...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q does not name %q", code, tt.code, errs, tt.want)
			}
		})
	}
	// Nothing was written by the failed imports.
	if all := listJSON(t, "--datadir", dir); len(all) != 0 {
		t.Fatalf("failed imports wrote %+v", all)
	}
	// With --skip-invalid the mainnet row is stored and the regtest one
	// reported.
	code, out, errs := runCLI(t, "labels", "import", "--skip-invalid", "--datadir", dir, regtestRow)
	if code != 0 || !strings.Contains(out, "bitcoin/mainnet  stored 1") || !strings.Contains(out, "invalid          1 rows skipped (--skip-invalid)") ||
		!strings.Contains(out, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080 is a regtest address") {
		t.Fatalf("skip-invalid import exited %d:\n%s%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "labels", "list", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "--datadir", dir)
	if code != 1 || !strings.Contains(errs, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx is a signet/testnet3/testnet4 address, not mainnet") {
		t.Fatalf("list of a testnet address: %d %s", code, errs)
	}
}
