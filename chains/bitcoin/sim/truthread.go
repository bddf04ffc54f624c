package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// TruthReader reads truth.jsonl line by line after checking its header.
type TruthReader struct {
	name string
	sc   *bufio.Scanner
	line int
}

// NewTruthReader checks the header line of the truth file read from r and
// returns a reader of its records. name names the input in errors. A file
// of another format or of a major version other than TruthVersion is an
// error that says so.
func NewTruthReader(r io.Reader, name string) (*TruthReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	tr := &TruthReader{name: name, sc: sc}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s line 1: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty, want a %q header line", name, TruthFormat)
	}
	tr.line = 1
	var h TruthHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != TruthFormat {
		return nil, fmt.Errorf("%s line 1: not a %s header (a file from before version 2 has none; regenerate it)", name, TruthFormat)
	}
	if h.Version != TruthVersion {
		return nil, fmt.Errorf("%s line 1: %s version %d is not supported; this reader knows version %d", name, TruthFormat, h.Version, TruthVersion)
	}
	return tr, nil
}

// Next returns the next record, or io.EOF after the last.
func (tr *TruthReader) Next() (TruthRecord, error) {
	if !tr.sc.Scan() {
		if err := tr.sc.Err(); err != nil {
			return TruthRecord{}, fmt.Errorf("%s line %d: %w", tr.name, tr.line+1, err)
		}
		return TruthRecord{}, io.EOF
	}
	tr.line++
	var r TruthRecord
	if err := json.Unmarshal(tr.sc.Bytes(), &r); err != nil {
		return TruthRecord{}, fmt.Errorf("%s line %d: %w", tr.name, tr.line, err)
	}
	if r.Address == "" && r.Txid == "" && r.Scenario == "" {
		return TruthRecord{}, fmt.Errorf("%s line %d: neither an address, a transaction nor a scenario line", tr.name, tr.line)
	}
	return r, nil
}

// ReadTruthFile reads every record of the truth file at path.
func ReadTruthFile(path string) ([]TruthRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open truth file: %w", err)
	}
	defer f.Close()
	tr, err := NewTruthReader(f, path)
	if err != nil {
		return nil, err
	}
	var recs []TruthRecord
	for {
		r, err := tr.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
}
