package bitcoin

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// block9PubKey is the key paid by the coinbase of mainnet block 9, whose
// P2PKH address is the well-known 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S.
const block9PubKey = "0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3"

// The generator point's compressed and uncompressed serializations, used
// where a script needs a well-formed key.
const (
	keyGCompressed   = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	keyGUncompressed = "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
	key2GCompressed  = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
)

// testdataBlock574200 is the raw mainnet block shipped with btcd's wire
// module; it has 8,150 outputs of most classes.
const testdataBlock574200 = "github.com/btcsuite/btcd/wire/v2@v2.0.1/testdata/block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk"

// scriptCase is one row of the classification table.
type scriptCase struct {
	name    string
	script  string // hex
	class   ScriptClass
	payload string // hex; "" for a nil payload
}

// scriptCases covers every class, the txscript quirks ClassifyScript
// reproduces, and near misses of each template.
func scriptCases() []scriptCase {
	data80 := strings.Repeat("ab", 80)
	return []scriptCase{
		{name: "p2pk uncompressed, mainnet block 9 coinbase", script: "41" + block9PubKey + "ac", class: ClassP2PK, payload: block9PubKey},
		{name: "p2pk compressed", script: "21" + keyGCompressed + "ac", class: ClassP2PK, payload: keyGCompressed},
		{name: "p2pk compressed odd", script: "21" + "03" + keyGCompressed[2:] + "ac", class: ClassP2PK, payload: "03" + keyGCompressed[2:]},
		{name: "p2pk hybrid 06", script: "41" + "06" + keyGUncompressed[2:] + "ac", class: ClassP2PK, payload: "06" + keyGUncompressed[2:]},
		{name: "p2pk hybrid 07", script: "41" + "07" + keyGUncompressed[2:] + "ac", class: ClassP2PK, payload: "07" + keyGUncompressed[2:]},
		{name: "p2pk bad compressed prefix", script: "21" + "05" + keyGCompressed[2:] + "ac", class: ClassNonStandard},
		{name: "p2pk bad uncompressed prefix", script: "41" + "05" + keyGUncompressed[2:] + "ac", class: ClassNonStandard},
		{name: "p2pk compressed key in 65-byte push", script: "41" + "02" + keyGUncompressed[2:] + "ac", class: ClassNonStandard},
		{name: "p2pk missing checksig", script: "21" + keyGCompressed + "ab", class: ClassNonStandard},
		{name: "p2pkh genesis address", script: "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", class: ClassP2PKH, payload: "62e907b15cbf27d5425399ebf6f0fb50ebb88f18"},
		{name: "p2pkh with checksigverify", script: "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ad", class: ClassNonStandard},
		{name: "p2pkh one byte long", script: "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888acac", class: ClassNonStandard},
		{name: "p2sh 3J98t1", script: "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87", class: ClassP2SH, payload: "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb"},
		{name: "p2sh with equalverify", script: "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb88", class: ClassNonStandard},
		{name: "p2wpkh bip173", script: "0014751e76e8199196d454941c45d1b3a323f1433bd6", class: ClassP2WPKH, payload: "751e76e8199196d454941c45d1b3a323f1433bd6"},
		{name: "p2wsh bip173", script: "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", class: ClassP2WSH, payload: "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
		{name: "v0 program of 16 bytes", script: "0010751e76e8199196d454941c45d1b3a323", class: ClassNonStandard},
		{name: "v0 program of 21 bytes", script: "0015751e76e8199196d454941c45d1b3a323f1433bd6ff", class: ClassNonStandard},
		{name: "p2tr bip350", script: "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", class: ClassP2TR, payload: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
		{name: "p2tr with pushdata1", script: "514c2079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", class: ClassNonStandard},
		{name: "p2a", script: "51024e73", class: ClassP2A, payload: "4e73"},
		{name: "v1 two bytes, not the anchor", script: "51024e74", class: ClassWitnessUnknown, payload: "51024e74"},
		{name: "v2 anchor program", script: "52024e73", class: ClassWitnessUnknown, payload: "52024e73"},
		{name: "v1 40 bytes bip350", script: "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6", class: ClassWitnessUnknown, payload: "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
		{name: "v1 20 bytes", script: "5114751e76e8199196d454941c45d1b3a323f1433bd6", class: ClassWitnessUnknown, payload: "5114751e76e8199196d454941c45d1b3a323f1433bd6"},
		{name: "v16 bip350", script: "6002751e", class: ClassWitnessUnknown, payload: "6002751e"},
		{name: "v2 bip350", script: "5210751e76e8199196d454941c45d1b3a323", class: ClassWitnessUnknown, payload: "5210751e76e8199196d454941c45d1b3a323"},
		{name: "v2 program of 41 bytes", script: "5229" + strings.Repeat("00", 41), class: ClassNonStandard},
		{name: "v2 program of 1 byte", script: "520101", class: ClassNonStandard},
		{name: "v3 push short by one", script: "5305010203", class: ClassNonStandard},
		{name: "multisig 1-of-2", script: "51" + "21" + keyGCompressed + "21" + key2GCompressed + "52ae", class: ClassMultisig, payload: "51" + "21" + keyGCompressed + "21" + key2GCompressed + "52ae"},
		{name: "multisig 1-of-1 uncompressed", script: "51" + "41" + keyGUncompressed + "51ae", class: ClassMultisig, payload: "51" + "41" + keyGUncompressed + "51ae"},
		{name: "multisig 2-of-1 (txscript does not compare m and n)", script: "52" + "21" + keyGCompressed + "51ae", class: ClassMultisig, payload: "52" + "21" + keyGCompressed + "51ae"},
		{name: "multisig 0-of-0 (txscript quirk)", script: "0000ae", class: ClassMultisig, payload: "0000ae"},
		{name: "multisig of non-push opcodes (txscript quirk)", script: "5176ac52ae", class: ClassMultisig, payload: "5176ac52ae"},
		{name: "multisig extra opcode after n", script: "510201025100ae", class: ClassNonStandard},
		{name: "multisig with a 2-byte key (txscript quirk)", script: "5102010251ae", class: ClassMultisig, payload: "5102010251ae"},
		{name: "multisig n disagrees with keys", script: "51" + "21" + keyGCompressed + "52ae", class: ClassNonStandard},
		{name: "multisig without n", script: "51" + "21" + keyGCompressed + "ae", class: ClassNonStandard},
		{name: "multisig trailing opcode", script: "51" + "21" + keyGCompressed + "51ae" + "ae", class: ClassNonStandard},
		{name: "multisig checkmultisigverify", script: "51" + "21" + keyGCompressed + "51af", class: ClassNonStandard},
		{name: "multisig truncated push", script: "51" + "4c" + "ff" + "51ae", class: ClassNonStandard},
		{name: "nulldata bare", script: "6a", class: ClassNullData},
		{name: "nulldata 4 bytes", script: "6a04deadbeef", class: ClassNullData},
		{name: "nulldata 80 bytes pushdata1", script: "6a4c50" + data80, class: ClassNullData},
		{name: "nulldata 80 bytes pushdata2", script: "6a4d5000" + data80, class: ClassNullData},
		{name: "nulldata 81 bytes", script: "6a4c51" + data80 + "ab", class: ClassNonStandard},
		{name: "nulldata op_0", script: "6a00", class: ClassNullData},
		{name: "nulldata small int", script: "6a60", class: ClassNullData},
		{name: "nulldata 1negate", script: "6a4f", class: ClassNonStandard},
		{name: "nulldata two pushes", script: "6a01aa01bb", class: ClassNonStandard},
		{name: "nulldata non-push", script: "6a76", class: ClassNonStandard},
		{name: "nulldata truncated push", script: "6a05aabb", class: ClassNonStandard},
		{name: "nulldata huge pushdata4 length", script: "6a4effffffff", class: ClassNonStandard},
		{name: "empty", script: "", class: ClassNonStandard},
		{name: "op_true", script: "51", class: ClassNonStandard},
		{name: "lone pushdata4", script: "4e", class: ClassNonStandard},
	}
}

// mustHex decodes a hex constant of a test table.
func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// txscriptClass maps btcd's classification of script onto ours. The one
// deliberate difference: txscript calls witness programs of versions 1..16
// other than P2TR and P2A nonstandard, which ClassifyScript (like Bitcoin
// Core) reports as ClassWitnessUnknown.
func txscriptClass(script []byte) ScriptClass {
	var c ScriptClass
	switch txscript.GetScriptClass(script) {
	case txscript.PubKeyTy:
		c = ClassP2PK
	case txscript.PubKeyHashTy:
		c = ClassP2PKH
	case txscript.ScriptHashTy:
		c = ClassP2SH
	case txscript.WitnessV0PubKeyHashTy:
		c = ClassP2WPKH
	case txscript.WitnessV0ScriptHashTy:
		c = ClassP2WSH
	case txscript.WitnessV1TaprootTy:
		c = ClassP2TR
	case txscript.MultiSigTy:
		c = ClassMultisig
	case txscript.NullDataTy:
		c = ClassNullData
	case txscript.PayToAnchorTy:
		c = ClassP2A
	case txscript.WitnessUnknownTy:
		c = ClassWitnessUnknown
	default:
		c = ClassNonStandard
	}
	if c == ClassNonStandard {
		if v, _, err := txscript.ExtractWitnessProgramInfo(script); err == nil && v != 0 {
			c = ClassWitnessUnknown
		}
	}
	return c
}

// payloadSpan returns where in the script the payload of class must lie.
func payloadSpan(class ScriptClass, script []byte) (off, n int) {
	switch class {
	case ClassP2PK:
		return 1, len(script) - 2
	case ClassP2PKH:
		return 3, 20
	case ClassP2SH, ClassP2WPKH:
		return 2, 20
	case ClassP2WSH, ClassP2TR:
		return 2, 32
	case ClassP2A:
		return 2, 2
	case ClassMultisig, ClassWitnessUnknown:
		return 0, len(script)
	}
	return 0, 0
}

// checkClassification asserts everything known about ClassifyScript's result
// for one script: agreement with txscript, the payload's position inside the
// script (so it aliases rather than copies), agreement of the payload with
// txscript's own extraction, and that the address round-trips.
func checkClassification(t *testing.T, script []byte) {
	t.Helper()
	class, payload := ClassifyScript(script)
	if want := txscriptClass(script); class != want {
		t.Fatalf("ClassifyScript(%x) = %v, txscript says %v", script, class, want)
	}
	off, n := payloadSpan(class, script)
	if n == 0 {
		if payload != nil {
			t.Fatalf("ClassifyScript(%x) = %v with payload %x, want nil", script, class, payload)
		}
	} else if len(payload) != n || &payload[0] != &script[off] {
		t.Fatalf("ClassifyScript(%x) = %v with payload %x, want script[%d:%d] aliased", script, class, payload, off, off+n)
	}

	// txscript's extraction of the same fields.
	switch class {
	case ClassP2PKH, ClassP2SH, ClassP2WPKH, ClassP2WSH, ClassP2TR:
		_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, &chaincfg.MainNetParams)
		if err != nil || len(addrs) != 1 {
			t.Fatalf("txscript extracted %v, %v from %x", addrs, err, script)
		}
		if got := addrs[0].ScriptAddress(); !bytes.Equal(got, payload) {
			t.Fatalf("payload of %x is %x, txscript extracts %x", script, payload, got)
		}
	case ClassWitnessUnknown:
		v, program, err := txscript.ExtractWitnessProgramInfo(script)
		if err != nil || v != smallIntValue(payload[0]) || !bytes.Equal(program, payload[2:]) {
			t.Fatalf("witness program %x: txscript extracts v%d %x (%v)", script, v, program, err)
		}
	}

	if !class.HasAddress() {
		return
	}
	for _, name := range []string{"mainnet", "testnet4", "regtest"} {
		net, err := LookupNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := EncodeAddress(net, class, payload)
		if err != nil {
			t.Fatalf("EncodeAddress(%s, %v, %x): %v", name, class, payload, err)
		}
		gotClass, gotPayload, err := ParseAddress(net, addr)
		if err != nil || gotClass != class || !bytes.Equal(gotPayload, payload) {
			t.Fatalf("ParseAddress(%s, %q) = %v %x %v, want %v %x", name, addr, gotClass, gotPayload, err, class, payload)
		}
	}
}

func TestClassifyScript(t *testing.T) {
	for _, tc := range scriptCases() {
		t.Run(tc.name, func(t *testing.T) {
			script := mustHex(t, tc.script)
			class, payload := ClassifyScript(script)
			if class != tc.class {
				t.Fatalf("ClassifyScript(%s) class = %v, want %v", tc.script, class, tc.class)
			}
			if got := hex.EncodeToString(payload); got != tc.payload {
				t.Fatalf("ClassifyScript(%s) payload = %s, want %s", tc.script, got, tc.payload)
			}
			if tc.payload == "" && payload != nil {
				t.Fatalf("ClassifyScript(%s) payload = %#v, want nil", tc.script, payload)
			}
			checkClassification(t, script)
		})
	}
}

func TestScriptClassNames(t *testing.T) {
	tests := []struct {
		name       string
		class      ScriptClass
		value      uint8
		str        string
		hasAddress bool
	}{
		{name: "nonstandard", class: ClassNonStandard, value: 0, str: "nonstandard"},
		{name: "p2pk", class: ClassP2PK, value: 1, str: "p2pk", hasAddress: true},
		{name: "p2pkh", class: ClassP2PKH, value: 2, str: "p2pkh", hasAddress: true},
		{name: "p2sh", class: ClassP2SH, value: 3, str: "p2sh", hasAddress: true},
		{name: "p2wpkh", class: ClassP2WPKH, value: 4, str: "p2wpkh", hasAddress: true},
		{name: "p2wsh", class: ClassP2WSH, value: 5, str: "p2wsh", hasAddress: true},
		{name: "p2tr", class: ClassP2TR, value: 6, str: "p2tr", hasAddress: true},
		{name: "multisig", class: ClassMultisig, value: 7, str: "multisig", hasAddress: true},
		{name: "nulldata", class: ClassNullData, value: 8, str: "nulldata"},
		{name: "witness_unknown", class: ClassWitnessUnknown, value: 9, str: "witness_unknown", hasAddress: true},
		{name: "p2a", class: ClassP2A, value: 10, str: "p2a"},
	}
	if len(tests) != numScriptClasses {
		t.Fatalf("table has %d classes, package defines %d", len(tests), numScriptClasses)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if uint8(tt.class) != tt.value {
				t.Fatalf("%s = %d, the on-disk value is %d", tt.str, uint8(tt.class), tt.value)
			}
			if got := tt.class.String(); got != tt.str {
				t.Fatalf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.class.HasAddress(); got != tt.hasAddress {
				t.Fatalf("HasAddress() = %v, want %v", got, tt.hasAddress)
			}
			for _, in := range []string{tt.str, strings.ToUpper(tt.str), " " + tt.str + "\n"} {
				back, err := ParseScriptClass(in)
				if err != nil || back != tt.class {
					t.Fatalf("ParseScriptClass(%q) = %v, %v", in, back, err)
				}
			}
		})
	}
	if got := ScriptClass(11).String(); got != "ScriptClass(11)" {
		t.Errorf("ScriptClass(11).String() = %q", got)
	}
	if ScriptClass(200).HasAddress() {
		t.Error("undefined class claims an address")
	}
	for _, in := range []string{"", "pubkey", "p2pkhx", "ScriptClass(11)"} {
		if c, err := ParseScriptClass(in); err == nil {
			t.Errorf("ParseScriptClass(%q) = %v, want error", in, c)
		}
	}
}

func TestPubKeyHash(t *testing.T) {
	// The hash of the block 9 key, taken from its public address rather
	// than computed by the code under test.
	want, version, err := base58.CheckDecode("12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S")
	if err != nil || version != 0 {
		t.Fatalf("decode known address: %v (version %d)", err, version)
	}
	got := PubKeyHash(mustHex(t, block9PubKey))
	if !bytes.Equal(got[:], want) {
		t.Fatalf("PubKeyHash(block 9 key) = %x, want %x", got, want)
	}
	// The genesis output's P2PKH form is 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.
	genesisKey := "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
	got = PubKeyHash(mustHex(t, genesisKey))
	if hex.EncodeToString(got[:]) != "62e907b15cbf27d5425399ebf6f0fb50ebb88f18" {
		t.Fatalf("PubKeyHash(genesis key) = %x", got)
	}
}

// scriptTestModCache returns the module cache directory that holds the
// btcd test data.
func scriptTestModCache(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// outputScripts returns the output scripts of the raw serialized block at
// path (relative to the module cache).
func outputScripts(t testing.TB, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(scriptTestModCache(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return blockOutputScripts(t, path, raw)
}

// blockOutputScripts deserializes one block and collects its output scripts.
func blockOutputScripts(t testing.TB, what string, raw []byte) [][]byte {
	t.Helper()
	var block wire.MsgBlock
	if err := block.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatalf("deserialize %s: %v", what, err)
	}
	var scripts [][]byte
	for _, tx := range block.Transactions {
		for _, out := range tx.TxOut {
			scripts = append(scripts, out.PkScript)
		}
	}
	return scripts
}

// framedOutputScripts collects the output scripts of every block in a
// Bitcoin Core style blk file (magic, length, block; zero padding at the
// end) at path relative to the module cache, bzip2-compressed if the name
// ends in .bz2. It also returns the number of blocks.
func framedOutputScripts(t testing.TB, path string) ([][]byte, int) {
	t.Helper()
	f, err := os.Open(filepath.Join(scriptTestModCache(t), path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".bz2") {
		r = bzip2.NewReader(f)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var scripts [][]byte
	blocks := 0
	for off := 0; off+8 <= len(data); {
		magic := binary.LittleEndian.Uint32(data[off:])
		if magic == 0 {
			break
		}
		if wire.BitcoinNet(magic) != wire.MainNet {
			t.Fatalf("%s offset %d: magic %08x", path, off, magic)
		}
		size := int(binary.LittleEndian.Uint32(data[off+4:]))
		if off+8+size > len(data) {
			t.Fatalf("%s offset %d: block of %d bytes runs past the end", path, off, size)
		}
		scripts = append(scripts, blockOutputScripts(t, path, data[off+8:off+8+size])...)
		blocks++
		off += 8 + size
	}
	return scripts, blocks
}

func TestClassifyScriptAgreesWithTxscriptOnMainnetBlocks(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		framed  bool
		blocks  int
		outputs int // 0: not checked
	}{
		{name: "block 574200", path: testdataBlock574200, blocks: 1, outputs: 8150},
		{name: "block 540107", path: "github.com/btcsuite/btcd/wire/v2@v2.0.1/testdata/block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk", blocks: 1},
		{name: "blocks 0 to 14131", path: "github.com/btcsuite/btcd@v0.26.2/blockchain/testdata/blk_0_to_14131.dat", framed: true, blocks: 14132},
		{name: "block 277647", path: "github.com/btcsuite/btcd@v0.26.2/blockchain/testdata/277647.dat.bz2", framed: true, blocks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var scripts [][]byte
			blocks := 1
			if tt.framed {
				scripts, blocks = framedOutputScripts(t, tt.path)
			} else {
				scripts = outputScripts(t, tt.path)
			}
			if blocks != tt.blocks {
				t.Fatalf("read %d blocks, want %d", blocks, tt.blocks)
			}
			if tt.outputs != 0 && len(scripts) != tt.outputs {
				t.Fatalf("read %d outputs, want %d", len(scripts), tt.outputs)
			}
			counts := make(map[ScriptClass]int)
			for _, script := range scripts {
				checkClassification(t, script)
				c, _ := ClassifyScript(script)
				counts[c]++
			}
			t.Logf("%d outputs: %v", len(scripts), counts)
		})
	}
}

// interestingBytes are the opcodes and lengths the templates are made of.
var interestingBytes = []byte{
	0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x07, 0x14, 0x20, 0x21, 0x41, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
	0x50, 0x51, 0x52, 0x60, 0x61, 0x6a, 0x73, 0x76, 0x87, 0x88, 0xa9, 0xac, 0xae, 0xaf, 0xff,
}

func TestClassifyScriptAgreesWithTxscriptOnShortScripts(t *testing.T) {
	// Every script of up to two bytes, and every script of three and four
	// bytes drawn from the bytes the templates are made of.
	script := make([]byte, 0, 4)
	for n := 0; n <= 2; n++ {
		script = script[:n]
		for v := 0; v < 1<<(8*n); v++ {
			for i := range script {
				script[i] = byte(v >> (8 * i))
			}
			if got, want := classOnly(script), txscriptClass(script); got != want {
				t.Fatalf("ClassifyScript(%x) = %v, txscript says %v", script, got, want)
			}
		}
	}
	k := len(interestingBytes)
	for n := 3; n <= 4; n++ {
		script = script[:n]
		total := 1
		for range n {
			total *= k
		}
		for v := 0; v < total; v++ {
			for i, x := 0, v; i < n; i, x = i+1, x/k {
				script[i] = interestingBytes[x%k]
			}
			if got, want := classOnly(script), txscriptClass(script); got != want {
				t.Fatalf("ClassifyScript(%x) = %v, txscript says %v", script, got, want)
			}
		}
	}
}

// classOnly returns just the class of a script.
func classOnly(script []byte) ScriptClass {
	c, _ := ClassifyScript(script)
	return c
}

// randomScript builds a script out of whole opcodes, the way real scripts
// and the templates are made, so that near misses of every template occur
// far more often than in random bytes.
func randomScript(r *rand.Rand, templates [][]byte) []byte {
	if r.IntN(3) == 0 {
		// A template with up to two bytes changed, inserted or removed.
		s := append([]byte(nil), templates[r.IntN(len(templates))]...)
		for range r.IntN(3) {
			b := interestingBytes[r.IntN(len(interestingBytes))]
			switch i := r.IntN(len(s) + 1); {
			case i == len(s) || r.IntN(3) == 0:
				s = append(s[:i], append([]byte{b}, s[i:]...)...)
			case r.IntN(2) == 0:
				s[i] = b
			default:
				s = append(s[:i], s[i+1:]...)
			}
		}
		return s
	}
	var s []byte
	tokens := 1 + r.IntN(6)
	if r.IntN(4) == 0 {
		// Start from a template prefix.
		prefixes := [][]byte{{0x6a}, {0x00}, {0x51}, {0x52}, {0x60}, {0x76, 0xa9}, {0xa9}}
		s = append(s, prefixes[r.IntN(len(prefixes))]...)
	}
	for range tokens {
		switch r.IntN(8) {
		case 0: // small integer
			if r.IntN(3) == 0 {
				s = append(s, 0x00)
			} else {
				s = append(s, byte(0x51+r.IntN(16)))
			}
		case 1, 2: // direct push of a typical length
			lengths := []int{0, 1, 2, 3, 20, 32, 33, 40, 41, 65, 75}
			n := lengths[r.IntN(len(lengths))]
			s = append(s, byte(n))
			s = appendKeyish(r, s, n)
		case 3: // OP_PUSHDATA1/2/4, sometimes with a length running past the end
			n := r.IntN(90)
			switch r.IntN(3) {
			case 0:
				s = append(s, 0x4c, byte(n))
			case 1:
				s = append(s, 0x4d, byte(n), byte(n>>8))
			default:
				s = append(s, 0x4e, byte(n), 0, 0, byte(r.IntN(2)*0x80))
			}
			if r.IntN(4) == 0 {
				n = r.IntN(n + 1)
			}
			s = appendKeyish(r, s, n)
		case 4: // template opcodes
			ops := []byte{0x76, 0x87, 0x88, 0xa9, 0xac, 0xae, 0xaf, 0x6a, 0x4f, 0x50}
			s = append(s, ops[r.IntN(len(ops))])
		case 5:
			s = append(s, 0xae)
		default: // any byte
			s = append(s, byte(r.IntN(256)))
		}
	}
	if r.IntN(8) == 0 && len(s) > 0 {
		s = s[:r.IntN(len(s))]
	}
	return s
}

// appendKeyish appends n bytes that start like a public key half the time.
func appendKeyish(r *rand.Rand, s []byte, n int) []byte {
	for i := range n {
		b := byte(r.IntN(256))
		if i == 0 && r.IntN(2) == 0 {
			b = []byte{0x02, 0x03, 0x04, 0x06, 0x07}[r.IntN(5)]
		}
		s = append(s, b)
	}
	return s
}

func TestClassifyScriptAgreesWithTxscriptOnGeneratedScripts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	var templates [][]byte
	for _, tc := range scriptCases() {
		if tc.script != "" {
			templates = append(templates, mustHex(t, tc.script))
		}
	}
	counts := make(map[ScriptClass]int)
	for range n {
		script := randomScript(r, templates)
		checkClassification(t, script)
		counts[classOnly(script)]++
	}
	t.Logf("%d scripts: %v", n, counts)
	for c := ScriptClass(0); c < numScriptClasses; c++ {
		if counts[c] == 0 {
			t.Errorf("the generator produced no %v script", c)
		}
	}
}

func TestClassifyScriptDoesNotAllocate(t *testing.T) {
	scripts := outputScripts(t, testdataBlock574200)
	for _, tc := range scriptCases() {
		scripts = append(scripts, mustHex(t, tc.script))
	}
	var sink int
	allocs := testing.AllocsPerRun(10, func() {
		for _, s := range scripts {
			c, p := ClassifyScript(s)
			sink += int(c) + len(p)
		}
	})
	if allocs != 0 {
		t.Fatalf("classifying %d scripts allocates %.1f times", len(scripts), allocs)
	}
	_ = sink
}

func FuzzClassifyScript(f *testing.F) {
	for _, tc := range scriptCases() {
		f.Add(mustHex(f, tc.script))
	}
	for _, s := range outputScripts(f, testdataBlock574200) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		checkClassification(t, script)
	})
}

func BenchmarkClassifyScript(b *testing.B) {
	scripts := outputScripts(b, testdataBlock574200)
	b.ReportAllocs()
	b.ResetTimer()
	var sink int
	for i := 0; i < b.N; i++ {
		for _, s := range scripts {
			c, p := ClassifyScript(s)
			sink += int(c) + len(p)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(scripts)), "ns/output")
	_ = sink
}
