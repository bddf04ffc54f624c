package sim

// Size bounds used to reserve block weight and to price fees before inputs
// are signed. A DER ECDSA signature with a low S value is at most 71 bytes;
// 73 leaves room for a high R and the sighash byte, so the estimates are
// upper bounds and real transactions are a few bytes smaller.
const (
	outPointSeqLen     = 32 + 4 + 4 // previous outpoint and sequence
	maxECDSASigLen     = 73         // DER signature plus sighash type
	compressedKeyLen   = 33
	schnorrSigLen      = 64    // SIGHASH_DEFAULT, no sighash byte
	txOverheadLen      = 4 + 4 // version and lock time
	segwitMarkerLen    = 2     // marker and flag
	witnessScaleFactor = 4
	// maxBlockWeight is the consensus limit on block weight.
	maxBlockWeight = 4_000_000
	// maxBlockSigOpsCost is the consensus limit on a block's sigop cost.
	maxBlockSigOpsCost = 80_000
	// coinbaseWeightReserve is block weight kept free for the header, the
	// transaction count and the coinbase transaction.
	coinbaseWeightReserve = 4_000
	// coinbaseSigOpsReserve is sigop cost kept free for the coinbase.
	coinbaseSigOpsReserve = 400
)

// varIntLen returns the length of n encoded as a Bitcoin compact size.
func varIntLen(n int) int {
	switch {
	case n < 0xfd:
		return 1
	case n <= 0xffff:
		return 3
	case n <= 0xffffffff:
		return 5
	}
	return 9
}

// hasWitness reports whether spending an output of type t needs witness data.
func (t scriptType) hasWitness() bool { return t != p2pkh }

// inputSize returns upper bounds of the non-witness and witness bytes that
// spending an output of type t adds to a transaction. The witness bytes of a
// p2pkh input (an empty stack count) only count when some other input of the
// transaction has a witness.
func (t scriptType) inputSize() (base, wit int) {
	switch t {
	case p2pkh:
		sigScript := 1 + maxECDSASigLen + 1 + compressedKeyLen
		return outPointSeqLen + varIntLen(sigScript) + sigScript, 1
	case p2shP2wpkh:
		sigScript := 1 + p2wpkhRedeemLen
		return outPointSeqLen + varIntLen(sigScript) + sigScript,
			1 + 1 + maxECDSASigLen + 1 + compressedKeyLen
	case p2wpkh:
		return outPointSeqLen + 1, 1 + 1 + maxECDSASigLen + 1 + compressedKeyLen
	default:
		return outPointSeqLen + 1, 1 + 1 + schnorrSigLen
	}
}

// outputSize returns the serialized size of an output paying to type t.
func (t scriptType) outputSize() int {
	n := t.scriptLen()
	return 8 + varIntLen(n) + n
}

// txShape summarizes the script types of a transaction's inputs and outputs,
// which is all that its size depends on.
type txShape struct {
	ins, outs  int
	base, wit  int // non-witness and witness bytes of the inputs and outputs
	anyWitness bool
	sigOpCost  int
}

// addInput records an input spending an output of type t.
func (s *txShape) addInput(t scriptType) {
	b, w := t.inputSize()
	s.ins++
	s.base += b
	s.wit += w
	if t.hasWitness() {
		s.anyWitness = true
	}
	// A segwit v0 key-hash spend costs one witness sigop; p2pkh inputs are
	// counted on the output that created them and taproot key-path
	// spends cost nothing.
	if t == p2wpkh || t == p2shP2wpkh {
		s.sigOpCost++
	}
}

// addOutput records an output paying to type t.
func (s *txShape) addOutput(t scriptType) {
	s.outs++
	s.base += t.outputSize()
	if t == p2pkh {
		// OP_CHECKSIG in a legacy output script is one legacy sigop,
		// scaled by the witness scale factor.
		s.sigOpCost += witnessScaleFactor
	}
}

// addDataOutput records an OP_RETURN output pushing n bytes (at most 75).
func (s *txShape) addDataOutput(n int) {
	s.outs++
	script := 2 + n
	s.base += 8 + varIntLen(script) + script
}

// weight returns an upper bound of the transaction's weight.
func (s txShape) weight() int {
	base := txOverheadLen + varIntLen(s.ins) + varIntLen(s.outs) + s.base
	w := base * witnessScaleFactor
	if s.anyWitness {
		w += segwitMarkerLen + s.wit
	}
	return w
}

// vsize returns an upper bound of the transaction's virtual size.
func (s txShape) vsize() int {
	return (s.weight() + witnessScaleFactor - 1) / witnessScaleFactor
}
