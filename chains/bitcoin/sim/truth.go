package sim

import (
	"bufio"
	"fmt"
	"os"
)

// TruthFile is the name of the ground-truth file Generate writes next to the
// block files.
const TruthFile = "truth.jsonl"

// TruthRecord is one line of truth.jsonl: an address used in the chain and
// the entity that owns it, or, when Txid is set, a CoinJoin transaction.
type TruthRecord struct {
	// Address is the regtest address string.
	Address string `json:"address"`
	// Entity names the owner: "w<n>" for wallets, "m<n>" for miners and
	// "x<n>" for exchanges and "c<n>" for CoinJoin coordinators.
	Entity string `json:"entity"`
	// Kind is "wallet", "miner", "exchange" or "coordinator" for address
	// lines, and "coinjoin" or "coinjoin-tx0" (a Whirlpool Tx0, which
	// prepares coins for mixing but is not a CoinJoin itself) for
	// transaction lines.
	Kind string `json:"kind"`
	// Role is set for exchange addresses only: "deposit" for the address
	// handed out to one customer, "hot" for the hot wallet that sweeps
	// deposits and pays withdrawals, "change" for fresh change addresses
	// of withdrawals and "cold" for cold storage.
	Role string `json:"role,omitempty"`
	// Customer is set for deposit addresses only and names the wallet
	// ("w<n>") the address was handed out to.
	Customer string `json:"customer,omitempty"`
	// Txid is set on transaction lines only and is the transaction id in
	// the usual reversed hex form.
	Txid string `json:"txid,omitempty"`
	// Protocol is set on transaction lines only: "whirlpool-tx0",
	// "whirlpool-mix", "wasabi2" or "joinmarket".
	Protocol string `json:"protocol,omitempty"`
}

// truthWriter writes truth.jsonl, one JSON object per line.
type truthWriter struct {
	f    *os.File
	w    *bufio.Writer
	line []byte
	n    int
}

// newTruthWriter creates the file at path, which must not exist.
func newTruthWriter(path string) (*truthWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create truth file: %w", err)
	}
	return &truthWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// write appends the record for address addr, which is r. Address strings
// (base58 or bech32), entity names and roles never need JSON escaping.
func (t *truthWriter) write(addr string, r addrRef) error {
	e := r.owner
	l := t.line[:0]
	l = append(l, `{"address":"`...)
	l = append(l, addr...)
	l = append(l, `","entity":"`...)
	l = append(l, e.name...)
	l = append(l, `","kind":"`...)
	l = append(l, e.kind.String()...)
	if e.role != "" {
		l = append(l, `","role":"`...)
		l = append(l, e.role...)
	}
	if int(r.index) < len(e.depositor) && e.depositor[r.index] != nil {
		l = append(l, `","customer":"`...)
		l = append(l, e.depositor[r.index].name...)
	}
	l = append(l, "\"}\n"...)
	t.line = l
	if _, err := t.w.Write(l); err != nil {
		return fmt.Errorf("write %s line %d: %w", t.f.Name(), t.n+1, err)
	}
	t.n++
	return nil
}

// writeTx appends the line for CoinJoin transaction txid of the given
// protocol. Transaction lines have no address.
func (t *truthWriter) writeTx(txid, protocol string) error {
	kind := "coinjoin"
	if protocol == protoTx0 {
		kind = "coinjoin-tx0"
	}
	l := t.line[:0]
	l = append(l, `{"txid":"`...)
	l = append(l, txid...)
	l = append(l, `","kind":"`...)
	l = append(l, kind...)
	l = append(l, `","protocol":"`...)
	l = append(l, protocol...)
	l = append(l, "\"}\n"...)
	t.line = l
	if _, err := t.w.Write(l); err != nil {
		return fmt.Errorf("write %s line %d: %w", t.f.Name(), t.n+1, err)
	}
	t.n++
	return nil
}

// close flushes and closes the file.
func (t *truthWriter) close() error {
	if err := t.w.Flush(); err != nil {
		t.f.Close()
		return fmt.Errorf("write %s: %w", t.f.Name(), err)
	}
	if err := t.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", t.f.Name(), err)
	}
	return nil
}
