package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrTampered marks a log that is not an unbroken chain: an entry was
// edited, inserted, removed or reordered, or the log ends before its head.
var ErrTampered = errors.New("audit log tampered")

// Result is what Verify found in an intact log.
type Result struct {
	Entries uint64 // entries read
	Last    Head   // the last entry (seq 0 and 64 zeros for an empty log)
}

// Verify reads a whole log from r and checks every line: canonical form,
// hash, prev link and consecutive sequence numbers from 1. When head is
// not nil the log must contain head's entry (same seq and hash), so a log
// cut short is detected. Errors wrap ErrTampered and name the line.
func Verify(r io.Reader, head *Head) (Result, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	res := Result{Last: Head{Hash: genesis}}
	headSeen := head == nil || head.Seq == 0
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				return res, fmt.Errorf("%w: line %d: torn last line of %d bytes without a newline", ErrTampered, lineNo, len(line))
			}
			break
		}
		if err != nil {
			return res, fmt.Errorf("audit: reading line %d: %w", lineNo, err)
		}
		line = line[:len(line)-1]
		var e Entry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return res, fmt.Errorf("%w: line %d: not an audit entry: %w", ErrTampered, lineNo, err)
		}
		canon, err := json.Marshal(e)
		if err != nil || !bytes.Equal(canon, line) {
			return res, fmt.Errorf("%w: line %d (seq %d): not in canonical form (edited)", ErrTampered, lineNo, e.Seq)
		}
		if e.Seq != res.Last.Seq+1 {
			return res, fmt.Errorf("%w: line %d: seq %d follows seq %d (entries removed, inserted or reordered)", ErrTampered, lineNo, e.Seq, res.Last.Seq)
		}
		if e.Prev != res.Last.Hash {
			return res, fmt.Errorf("%w: line %d (seq %d): prev %s is not the hash of seq %d", ErrTampered, lineNo, e.Seq, e.Prev, res.Last.Seq)
		}
		h, err := hashOf(e)
		if err != nil || h != e.Hash {
			return res, fmt.Errorf("%w: line %d (seq %d): hash does not match the entry (edited)", ErrTampered, lineNo, e.Seq)
		}
		if e.Query != "" {
			sum := sha256.Sum256([]byte(e.Query))
			if hex.EncodeToString(sum[:]) != e.QueryHash {
				return res, fmt.Errorf("%w: line %d (seq %d): query_sha256 is not the hash of the query", ErrTampered, lineNo, e.Seq)
			}
		}
		if head != nil && e.Seq == head.Seq {
			if e.Hash != head.Hash {
				return res, fmt.Errorf("%w: line %d (seq %d): hash %s differs from the head's %s", ErrTampered, lineNo, e.Seq, e.Hash, head.Hash)
			}
			headSeen = true
		}
		res.Entries++
		res.Last = Head{Seq: e.Seq, Hash: e.Hash}
	}
	if !headSeen {
		return res, fmt.Errorf("%w: the log ends at seq %d but the head is seq %d (entries removed from the end)", ErrTampered, res.Last.Seq, head.Seq)
	}
	return res, nil
}

// VerifyDir verifies the log in dir against its head file (when there is
// one) and, when anchor is not nil, also against anchor: a head recorded
// earlier outside the data directory.
func VerifyDir(dir string, anchor *Head) (Result, error) {
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		return Result{}, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	var head *Head
	h, err := ReadHead(dir)
	switch {
	case err == nil:
		head = &h
	case !errors.Is(err, os.ErrNotExist):
		return Result{}, err
	}
	res, err := Verify(f, head)
	if err == nil && head == nil && res.Entries > 0 {
		// Open writes the head before the first entry, so a log with
		// entries and no head has lost it.
		return res, fmt.Errorf("%w: %s is missing", ErrTampered, HeadFile)
	}
	if err != nil || anchor == nil {
		return res, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("audit: %w", err)
	}
	if _, err := Verify(f, anchor); err != nil {
		return res, fmt.Errorf("against the anchor seq %d: %w", anchor.Seq, err)
	}
	return res, nil
}
