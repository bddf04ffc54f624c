package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// TruthFile is the name of the ground-truth file Generate writes next to the
// block files.
const TruthFile = "truth.jsonl"

// Format and version of truth.jsonl, written on its first line. The version
// is a major version: readers reject any other.
const (
	TruthFormat  = "spoor-truth"
	TruthVersion = 2
)

// TruthHeader is the first line of truth.jsonl.
type TruthHeader struct {
	// Format is always TruthFormat.
	Format string `json:"format"`
	// Version is the major version of the format.
	Version int `json:"version"`
}

// RoleAddress is an address with the role it plays in a scenario.
type RoleAddress struct {
	// Address is the regtest address string.
	Address string `json:"address"`
	// Role is the part the address plays, for example "source", "hop"
	// or "exit" (docs/truth.md lists them per scenario kind).
	Role string `json:"role"`
}

// TruthRecord is one line of truth.jsonl after the header: an address used
// in the chain and the entity that owns it; or, when Txid is set, a
// CoinJoin transaction; or, when Scenario is set, one planted scenario
// instance or decoy.
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
	// Scenario is set on scenario lines only and names the instance, for
	// example "peel_chain-3". Kind is then the scenario kind.
	Scenario string `json:"scenario,omitempty"`
	// Decoy is true for legitimate activity planted to look like a
	// scenario.
	Decoy bool `json:"decoy,omitempty"`
	// Detectors names the detectors expected to fire on the instance;
	// empty for decoys.
	Detectors []string `json:"detectors,omitempty"`
	// Txids are the instance's transactions, in chain order.
	Txids []string `json:"txids,omitempty"`
	// Addresses are the instance's addresses with their roles.
	Addresses []RoleAddress `json:"addresses,omitempty"`
	// Params are the instance's parameters (amounts in satoshis).
	Params map[string]any `json:"params,omitempty"`
}

// scenarioLine is how a scenario line is written: always with every field,
// so that a reader sees empty lists as lists.
type scenarioLine struct {
	Scenario  string         `json:"scenario"`
	Kind      string         `json:"kind"`
	Decoy     bool           `json:"decoy"`
	Detectors []string       `json:"detectors"`
	Txids     []string       `json:"txids"`
	Addresses []RoleAddress  `json:"addresses"`
	Params    map[string]any `json:"params"`
}

// truthWriter writes truth.jsonl, one JSON object per line.
type truthWriter struct {
	f    *os.File
	w    *bufio.Writer
	line []byte
	n    int
}

// newTruthWriter creates the file at path, which must not exist, and writes
// the header line.
func newTruthWriter(path string) (*truthWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create truth file: %w", err)
	}
	t := &truthWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	if err := t.writeJSON(TruthHeader{Format: TruthFormat, Version: TruthVersion}); err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// writeJSON appends v as one line.
func (t *truthWriter) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s line %d: %w", t.f.Name(), t.n+1, err)
	}
	b = append(b, '\n')
	if _, err := t.w.Write(b); err != nil {
		return fmt.Errorf("write %s line %d: %w", t.f.Name(), t.n+1, err)
	}
	t.n++
	return nil
}

// writeScenario appends a scenario line.
func (t *truthWriter) writeScenario(l scenarioLine) error {
	if l.Detectors == nil {
		l.Detectors = []string{}
	}
	if l.Params == nil {
		l.Params = map[string]any{}
	}
	return t.writeJSON(l)
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
