package sim

import (
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/txscript/v2"
)

// classType maps an output script class to the simulator's script type.
func classType(t *testing.T, c txscript.ScriptClass) scriptType {
	t.Helper()
	switch c {
	case txscript.PubKeyHashTy:
		return p2pkh
	case txscript.ScriptHashTy:
		return p2shP2wpkh
	case txscript.WitnessV0PubKeyHashTy:
		return p2wpkh
	case txscript.WitnessV1TaprootTy:
		return p2tr
	}
	t.Fatalf("unexpected script class %v", c)
	return 0
}

// TestShapeBoundsRealTransactions compares the weight and sigop estimates
// used before signing with the real figures of every generated transaction:
// the weight estimate must never be below the real weight (or blocks could
// exceed the limit) and must be tight, and the sigop cost must be exact.
func TestShapeBoundsRealTransactions(t *testing.T) {
	c := generate(t, chainOpts())
	outs := indexOutputs(c.blocks)
	var checked int
	for h, blk := range c.blocks[1:] {
		for _, tx := range blk.Transactions[1:] {
			var s txShape
			realSigOps := blockchain.CountSigOps(btcutil.NewTx(tx)) * witnessScaleFactor
			var ecdsaIns int
			for _, in := range tx.TxIn {
				prev := outs[in.PreviousOutPoint].PkScript
				st := classType(t, txscript.GetScriptClass(prev))
				s.addInput(st)
				if st != p2tr {
					ecdsaIns++
				}
				if st == p2shP2wpkh {
					realSigOps += txscript.GetPreciseSigOpCount(in.SignatureScript, prev, true) * witnessScaleFactor
				}
				realSigOps += txscript.GetWitnessSigOpCount(in.SignatureScript, prev, in.Witness)
			}
			for _, o := range tx.TxOut {
				s.addOutput(classType(t, txscript.GetScriptClass(o.PkScript)))
			}
			real := int(blockchain.GetTransactionWeight(btcutil.NewTx(tx)))
			est := s.weight()
			// ECDSA signatures are 70 to 72 bytes against 73
			// reserved; a p2pkh signature counts four times.
			if est < real || est-real > 4*3*ecdsaIns {
				t.Fatalf("block %d tx %s: estimated weight %d, real %d", h+1, tx.TxHash(), est, real)
			}
			if s.sigOpCost != realSigOps {
				t.Fatalf("block %d tx %s: estimated sigop cost %d, real %d", h+1, tx.TxHash(), s.sigOpCost, realSigOps)
			}
			checked++
		}
	}
	if checked != c.sum.Txs {
		t.Fatalf("checked %d transactions, want %d", checked, c.sum.Txs)
	}
}

func TestVarIntLen(t *testing.T) {
	tests := []struct {
		name    string
		n, want int
	}{
		{"zero", 0, 1},
		{"largest single byte", 0xfc, 1},
		{"smallest uint16", 0xfd, 3},
		{"largest uint16", 0xffff, 3},
		{"smallest uint32", 0x10000, 5},
		{"largest uint32", 0xffffffff, 5},
		{"uint64", 0x100000000, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := varIntLen(tt.n); got != tt.want {
				t.Errorf("varIntLen(%#x) = %d, want %d", tt.n, got, tt.want)
			}
		})
	}
}
