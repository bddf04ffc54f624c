package bitcoin

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/address/v2"
)

// ScriptClass is the kind of an output script. The numeric values are part of
// spoor's on-disk format: never renumber them, only append.
type ScriptClass uint8

// The script classes spoor distinguishes. The comment on each names the
// payload ClassifyScript returns with it.
const (
	// ClassNonStandard is any script that matches no other class. Payload:
	// nil.
	ClassNonStandard ScriptClass = 0
	// ClassP2PK is pay-to-pubkey, <pubkey> OP_CHECKSIG. Payload: the
	// serialized public key (33 or 65 bytes).
	ClassP2PK ScriptClass = 1
	// ClassP2PKH is pay-to-pubkey-hash. Payload: the 20-byte public key hash.
	ClassP2PKH ScriptClass = 2
	// ClassP2SH is pay-to-script-hash. Payload: the 20-byte script hash.
	ClassP2SH ScriptClass = 3
	// ClassP2WPKH is a version 0 witness program of 20 bytes. Payload: the
	// 20-byte program.
	ClassP2WPKH ScriptClass = 4
	// ClassP2WSH is a version 0 witness program of 32 bytes. Payload: the
	// 32-byte program.
	ClassP2WSH ScriptClass = 5
	// ClassP2TR is a version 1 witness program of 32 bytes (taproot).
	// Payload: the 32-byte x-only output key.
	ClassP2TR ScriptClass = 6
	// ClassMultisig is bare multisig, OP_m <keys...> OP_n OP_CHECKMULTISIG.
	// Payload: the whole script.
	ClassMultisig ScriptClass = 7
	// ClassNullData is an OP_RETURN data carrier. Payload: nil.
	ClassNullData ScriptClass = 8
	// ClassWitnessUnknown is a witness program that is not P2WPKH, P2WSH,
	// P2TR or P2A and whose version is 1 to 16: future witness versions and
	// version 1 programs of lengths other than 32. Payload: the whole
	// script, that is the version opcode (OP_1..OP_16), the push opcode
	// (the program length) and the program.
	ClassWitnessUnknown ScriptClass = 9
	// ClassP2A is pay-to-anchor, OP_1 <0x4e73>. Payload: the 2-byte
	// program 0x4e73.
	ClassP2A ScriptClass = 10
)

// numScriptClasses is one more than the largest defined class.
const numScriptClasses = 11

// Opcodes the templates use. They are spelled out here rather than taken from
// txscript so that classification depends on nothing but this file.
const (
	op0             = 0x00
	opData20        = 0x14
	opData32        = 0x20
	opData33        = 0x21
	opData65        = 0x41
	opPushData1     = 0x4c
	opPushData2     = 0x4d
	opPushData4     = 0x4e
	op1             = 0x51
	op16            = 0x60
	opReturn        = 0x6a
	opDup           = 0x76
	opEqual         = 0x87
	opEqualVerify   = 0x88
	opHash160       = 0xa9
	opCheckSig      = 0xac
	opCheckMultisig = 0xae
)

// maxNullDataPush is the largest push, in bytes, an OP_RETURN output may
// carry and still be classed as null data (btcd's MaxDataCarrierSize).
const maxNullDataPush = 80

// String returns the class's stable lower-case name, as used in the API and
// on the command line. An undefined value renders as "ScriptClass(N)".
func (c ScriptClass) String() string {
	switch c {
	case ClassNonStandard:
		return "nonstandard"
	case ClassP2PK:
		return "p2pk"
	case ClassP2PKH:
		return "p2pkh"
	case ClassP2SH:
		return "p2sh"
	case ClassP2WPKH:
		return "p2wpkh"
	case ClassP2WSH:
		return "p2wsh"
	case ClassP2TR:
		return "p2tr"
	case ClassMultisig:
		return "multisig"
	case ClassNullData:
		return "nulldata"
	case ClassWitnessUnknown:
		return "witness_unknown"
	case ClassP2A:
		return "p2a"
	}
	return fmt.Sprintf("ScriptClass(%d)", uint8(c))
}

// ParseScriptClass returns the class whose String form is s, ignoring case
// and surrounding space.
func ParseScriptClass(s string) (ScriptClass, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for c := ScriptClass(0); c < numScriptClasses; c++ {
		if c.String() == name {
			return c, nil
		}
	}
	return ClassNonStandard, fmt.Errorf("unknown script class %q", s)
}

// HasAddress reports whether outputs of this class are assigned to an
// address: every defined class except nonstandard, nulldata and p2a.
// Pay-to-anchor outputs are anyone-can-spend fee-bumping hooks that all share
// one script, so spoor does not treat them as belonging to anybody.
func (c ScriptClass) HasAddress() bool {
	switch c {
	case ClassP2PK, ClassP2PKH, ClassP2SH, ClassP2WPKH, ClassP2WSH, ClassP2TR,
		ClassMultisig, ClassWitnessUnknown:
		return true
	}
	return false
}

// ClassifyScript classifies an output script and returns the class with its
// payload (see the class constants). The payload aliases pkScript; nothing
// is allocated.
//
// The result agrees with btcd's txscript.GetScriptClass on every input,
// except that witness programs of versions 1 to 16 which txscript calls
// nonstandard (all but P2TR and P2A) are ClassWitnessUnknown here, as in
// Bitcoin Core. Agreeing with txscript means keeping its quirks:
//   - P2PK accepts any 33-byte key starting 0x02/0x03 and any 65-byte key
//     starting 0x04, 0x06 or 0x07 (hybrid), without checking the curve;
//   - bare multisig is OP_m, then n opcodes of any kind other than small
//     integers, then OP_n and OP_CHECKMULTISIG, with 0 ≤ m, n ≤ 16 and m not
//     compared with n;
//   - null data is a lone OP_RETURN or OP_RETURN followed by exactly one
//     push (a small integer or a push opcode, minimal or not) of at most 80
//     bytes; any other script starting with OP_RETURN is nonstandard.
func ClassifyScript(pkScript []byte) (ScriptClass, []byte) {
	s := pkScript
	switch len(s) {
	case 0:
		return ClassNonStandard, nil
	case 22:
		if s[0] == op0 && s[1] == opData20 {
			return ClassP2WPKH, s[2:22]
		}
	case 23:
		if s[0] == opHash160 && s[1] == opData20 && s[22] == opEqual {
			return ClassP2SH, s[2:22]
		}
	case 25:
		if s[0] == opDup && s[1] == opHash160 && s[2] == opData20 &&
			s[23] == opEqualVerify && s[24] == opCheckSig {
			return ClassP2PKH, s[3:23]
		}
	case 34:
		if s[1] == opData32 {
			switch s[0] {
			case op0:
				return ClassP2WSH, s[2:34]
			case op1:
				return ClassP2TR, s[2:34]
			}
		}
	case 35:
		if s[0] == opData33 && s[34] == opCheckSig && (s[1] == 0x02 || s[1] == 0x03) {
			return ClassP2PK, s[1:34]
		}
	case 67:
		if s[0] == opData65 && s[66] == opCheckSig && (s[1] == 0x04 || s[1] == 0x06 || s[1] == 0x07) {
			return ClassP2PK, s[1:66]
		}
	}

	switch {
	case s[0] == opReturn:
		if isNullDataScript(s) {
			return ClassNullData, nil
		}
	case s[0] >= op1 && s[0] <= op16:
		// Witness programs of version 1..16: the version opcode, then one
		// direct push of 2 to 40 bytes that ends the script.
		if len(s) >= 4 && len(s) <= 42 && int(s[1]) == len(s)-2 {
			if len(s) == 4 && s[0] == op1 && s[2] == 0x4e && s[3] == 0x73 {
				return ClassP2A, s[2:4]
			}
			return ClassWitnessUnknown, s
		}
		if isMultisigScript(s) {
			return ClassMultisig, s
		}
	case s[0] == op0:
		if isMultisigScript(s) {
			return ClassMultisig, s
		}
	}
	return ClassNonStandard, nil
}

// isSmallIntOp reports whether op pushes a small integer: OP_0 or OP_1..OP_16.
func isSmallIntOp(op byte) bool {
	return op == op0 || (op >= op1 && op <= op16)
}

// smallIntValue returns the integer a small-integer opcode pushes.
func smallIntValue(op byte) int {
	if op == op0 {
		return 0
	}
	return int(op-op1) + 1
}

// scriptNextOp parses the opcode at s[off] and returns the offset just past
// it and the length of the data it pushes. ok is false when the opcode's push
// runs past the end of s, which makes the whole script unparsable.
func scriptNextOp(s []byte, off int) (next, dataLen int, ok bool) {
	op := s[off]
	lenBytes := 0 // bytes of explicit length after the opcode
	switch {
	case op == op0 || op > opPushData4:
		return off + 1, 0, true
	case op == opPushData1:
		lenBytes = 1
	case op == opPushData2:
		lenBytes = 2
	case op == opPushData4:
		lenBytes = 4
	}
	start := off + 1 + lenBytes
	if start > len(s) {
		return 0, 0, false
	}
	// The length is unsigned and up to 32 bits, so compare in 64 bits.
	var n uint64
	switch lenBytes {
	case 0:
		n = uint64(op) // OP_DATA_1..OP_DATA_75
	case 1:
		n = uint64(s[off+1])
	case 2:
		n = uint64(binary.LittleEndian.Uint16(s[off+1:]))
	case 4:
		n = uint64(binary.LittleEndian.Uint32(s[off+1:]))
	}
	if n > uint64(len(s)-start) {
		return 0, 0, false
	}
	return start + int(n), int(n), true
}

// isNullDataScript reports whether s, which starts with OP_RETURN, is a null
// data script: OP_RETURN alone, or followed by exactly one small integer or
// push opcode carrying at most maxNullDataPush bytes.
func isNullDataScript(s []byte) bool {
	if len(s) == 1 {
		return true
	}
	op := s[1]
	if !isSmallIntOp(op) && op > opPushData4 {
		return false
	}
	next, n, ok := scriptNextOp(s, 1)
	return ok && next == len(s) && n <= maxNullDataPush
}

// isMultisigScript reports whether s is a bare multisig script as txscript
// defines it: a small integer m, any number of opcodes that are not small
// integers (normally public key pushes, but txscript does not check), a small
// integer equal to that number, and OP_CHECKMULTISIG as the last byte.
func isMultisigScript(s []byte) bool {
	if len(s) < 3 || s[len(s)-1] != opCheckMultisig || !isSmallIntOp(s[0]) {
		return false
	}
	keys := 0
	off := 1
	for {
		if off >= len(s) {
			return false
		}
		if isSmallIntOp(s[off]) {
			break
		}
		next, _, ok := scriptNextOp(s, off)
		if !ok {
			return false
		}
		off = next
		keys++
	}
	// s[off] is OP_n; only OP_CHECKMULTISIG may follow it.
	return smallIntValue(s[off]) == keys && off+2 == len(s)
}

// multisigCounts returns m and n of a script that isMultisigScript accepts.
func multisigCounts(s []byte) (m, n int) {
	return smallIntValue(s[0]), smallIntValue(s[len(s)-2])
}

// PubKeyHash returns hash160 (RIPEMD-160 of SHA-256) of a serialized public
// key: the payload of the P2PKH output that pays the same key.
func PubKeyHash(pubKey []byte) [20]byte {
	var h [20]byte
	copy(h[:], address.Hash160(pubKey))
	return h
}
