package storage

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestOpenLockedByAnotherProcess opens the index from a second process (this
// test binary, re-executed) while the first holds it: the error must say
// that the index is in use.
func TestOpenLockedByAnotherProcess(t *testing.T) {
	if dir := os.Getenv("SPOOR_HOLD_INDEX"); dir != "" {
		db, err := Open(dir, "bitcoin/regtest", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		os.Stdout.WriteString("held\n")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenLockedByAnotherProcess$")
	cmd.Env = append(os.Environ(), "SPOOR_HOLD_INDEX="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
		t.Fatalf("holder said %q", line)
	}
	if _, err := Open(dir, "bitcoin/regtest", &Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("open while another process holds the index = %v", err)
	}
}

func TestOpenChecksChain(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, "bitcoin/regtest", nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(dir, "bitcoin/mainnet", nil); err == nil || !strings.Contains(err.Error(), "indexes bitcoin/regtest, not bitcoin/mainnet") {
		t.Fatalf("open for another chain = %v", err)
	}
	if _, err := Open(t.TempDir()+"/missing", "bitcoin/regtest", &Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "no index here") {
		t.Fatalf("read-only open of a missing index = %v", err)
	}
}
