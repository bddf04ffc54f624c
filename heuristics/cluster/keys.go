package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// BlockReader reads the serialized block at a height: the chain source an
// index was built from (every indexer.Source is one). key-equivalence/1
// needs it because the chain tables keep no input scripts or witnesses.
type BlockReader interface {
	ReadBlock(ctx context.Context, height int32) ([]byte, error)
}

// errNoBlocks reports a set that reads blocks (Set.NeedsBlocks) and no
// block source.
var errNoBlocks = errors.New("key-equivalence/1 and change-spend/1 read the chain source's blocks (the public keys inputs reveal, the wallet fingerprints: the index keeps neither): give the source (--blocks or --rpc) or leave those rules out")

// keyFinder finds, for the blocks of an index, the addresses that are
// forms of a public key an input reveals. A key hash h has the forms
// P2PKH(h), P2WPKH(h) and P2SH(hash160(0x0014‖h)) (the last two for a
// compressed key only), and the key itself has the form P2PK(key). An
// input reveals its key in a P2PKH scriptSig (<sig> <key>), a P2WPKH
// witness (<sig> <key>, empty scriptSig) or a P2SH-P2WPKH spend (the
// scriptSig pushes the redeem script 0x0014‖h, the witness is <sig> <key>
// with hash160(key) = h). The reveal is used only when the address the
// input spends is itself one of the key's forms, and only forms the index
// has numbered by the transaction are linked, so that the links do not
// depend on when they are computed.
type keyFinder struct {
	src BlockReader
	db  *storage.DB
	// recent maps the addresses numbered since the last commit (class
	// byte and payload) to their numbers; nil in bulk builds, which read
	// committed blocks only.
	recent map[string]storage.AddrID
}

func addrKey(class bitcoin.ScriptClass, payload []byte) string {
	return string(append([]byte{byte(class)}, payload...))
}

// lookup returns the number of an address, if the index has one.
func (k *keyFinder) lookup(class bitcoin.ScriptClass, payload []byte) (storage.AddrID, bool, error) {
	if id, ok := k.recent[addrKey(class, payload)]; ok {
		return id, true, nil
	}
	id, err := k.db.LookupAddr(uint8(class), payload)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// forget drops the addresses numbered since the last commit, once they
// are committed (or dropped).
func (k *keyFinder) forget() {
	if k.recent != nil {
		k.recent = map[string]storage.AddrID{}
	}
}

// links returns, for every transaction of blk in order, the links between
// the address each input spends and the other forms of the key it reveals.
func (k *keyFinder) links(ctx context.Context, blk *indexer.ConnectedBlock) ([][]link, error) {
	mb, err := sourceBlock(ctx, k.src, blk, KeyEquivalence.String())
	if err != nil {
		return nil, err
	}
	if k.recent != nil {
		k.remember(mb, blk)
	}
	out := make([][]link, len(blk.Txs))
	bound := blk.Block.FirstAddrID
	links := blk.Links
	for i, mtx := range mb.Transactions {
		ct := &blk.Txs[i]
		for _, o := range ct.Outputs {
			bound = max(bound, o.AddrID+1)
		}
		for len(links) > 0 && links[0].TxNum == ct.TxNum {
			bound = max(bound, links[0].P2PKH+1)
			links = links[1:]
		}
		if i == 0 || len(mtx.TxIn) != len(ct.Inputs) {
			continue
		}
		for j, in := range mtx.TxIn {
			spent := ct.Inputs[j].AddrID
			key := revealedKey(in)
			if spent == 0 || key == nil {
				continue
			}
			ls, err := k.forms(key, spent, bound, ct.TxNum)
			if err != nil {
				return nil, fmt.Errorf("key-equivalence/1: tx %s input %d: %w", mtx.TxHash(), j, err)
			}
			out[i] = append(out[i], ls...)
		}
	}
	return out, nil
}

// forms returns the links from spent to the other forms of key the index
// numbered below bound, or none if spent is not itself a form of key.
func (k *keyFinder) forms(key []byte, spent, bound storage.AddrID, n storage.TxNum) ([]link, error) {
	h := address.Hash160(key)
	type form struct {
		class   bitcoin.ScriptClass
		payload []byte
	}
	fs := []form{{bitcoin.ClassP2PKH, h}, {bitcoin.ClassP2PK, key}}
	if len(key) == 33 {
		fs = append(fs, form{bitcoin.ClassP2WPKH, h}, form{bitcoin.ClassP2SH, address.Hash160(append([]byte{0x00, 0x14}, h...))})
	}
	var ids []storage.AddrID
	own := false
	for _, f := range fs {
		id, ok, err := k.lookup(f.class, f.payload)
		if err != nil {
			return nil, err
		}
		if !ok || id >= bound {
			continue
		}
		if id == spent {
			own = true
			continue
		}
		ids = append(ids, id)
	}
	if !own {
		return nil, nil
	}
	out := make([]link, len(ids))
	for i, id := range ids {
		out[i] = link{a: spent, b: id, ev: storage.Evidence{TxNum: n, Rule: uint8(KeyEquivalence), Confidence: ConfidenceEquivalence}}
	}
	return out, nil
}

// remember records the addresses blk numbered, for lookups before the
// batch holding them is committed.
func (k *keyFinder) remember(mb *wire.MsgBlock, blk *indexer.ConnectedBlock) {
	first := blk.Block.FirstAddrID
	p2pk := map[storage.AddrID][]byte{}
	for i, mtx := range mb.Transactions {
		ct := &blk.Txs[i]
		for j, o := range mtx.TxOut {
			if j >= len(ct.Outputs) || ct.Outputs[j].AddrID < first || ct.Outputs[j].AddrID == 0 {
				continue
			}
			class, payload := bitcoin.ClassifyScript(o.PkScript)
			k.recent[addrKey(class, payload)] = ct.Outputs[j].AddrID
			if class == bitcoin.ClassP2PK {
				p2pk[ct.Outputs[j].AddrID] = payload
			}
		}
	}
	for _, l := range blk.Links {
		if key, ok := p2pk[l.P2PK]; ok && l.P2PKH >= first {
			h := bitcoin.PubKeyHash(key)
			k.recent[addrKey(bitcoin.ClassP2PKH, h[:])] = l.P2PKH
		}
	}
}

// revealedKey returns the public key a P2PKH, P2WPKH or P2SH-P2WPKH input
// reveals, or nil.
func revealedKey(in *wire.TxIn) []byte {
	switch w := in.Witness; {
	case len(w) == 2 && isCompressedKey(w[1]):
		if len(in.SignatureScript) == 0 {
			return w[1]
		}
		p := pushes(in.SignatureScript)
		if len(p) == 1 && len(p[0]) == 22 && p[0][0] == 0x00 && p[0][1] == 0x14 &&
			bytes.Equal(p[0][2:], address.Hash160(w[1])) {
			return w[1]
		}
	case len(w) == 0:
		p := pushes(in.SignatureScript)
		if len(p) == 2 && len(p[0]) > 0 && (isCompressedKey(p[1]) || (len(p[1]) == 65 && p[1][0] == 0x04)) {
			return p[1]
		}
	}
	return nil
}

func isCompressedKey(b []byte) bool { return len(b) == 33 && (b[0] == 0x02 || b[0] == 0x03) }

// pushes returns the data a script of pushes only pushes, or nil if it
// holds any other opcode.
func pushes(s []byte) [][]byte {
	var out [][]byte
	for len(s) > 0 {
		op := s[0]
		s = s[1:]
		var n int
		switch {
		case op >= 0x01 && op <= 0x4b:
			n = int(op)
		case op == 0x4c && len(s) >= 1:
			n, s = int(s[0]), s[1:]
		case op == 0x4d && len(s) >= 2:
			n, s = int(s[0])|int(s[1])<<8, s[2:]
		default:
			return nil
		}
		if n > len(s) {
			return nil
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}
