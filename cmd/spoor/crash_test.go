package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spoorhq/spoor/internal/chaindata"
)

// buildSpoor builds the spoor binary into a temporary directory.
func buildSpoor(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "spoor")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func spoorDump(t *testing.T, bin, dataDir string) []byte {
	t.Helper()
	out, err := exec.Command(bin, "debug", "dump", "--datadir", dataDir).Output()
	if err != nil {
		t.Fatalf("dump %s: %v", dataDir, err)
	}
	return out
}

// TestKill9 kills the indexer with SIGKILL at random moments, many times,
// then lets it finish: the index must equal one built without
// interruption. Half the runs commit every block, half use bulk batches.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary many times")
	}
	blocks, err := chaindata.MainnetBlk0To14131(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bin := buildSpoor(t)
	index := func(dataDir string, extra ...string) *exec.Cmd {
		args := append([]string{"index", "bitcoin", "--network", "mainnet", "--blocks", blocks,
			"--datadir", dataDir, "--progress", "none", "--log-level", "warn"}, extra...)
		return exec.Command(bin, args...)
	}
	clean := filepath.Join(t.TempDir(), "clean")
	if out, err := index(clean).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	want := spoorDump(t, bin, clean)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, mode := range [][]string{{"--finality-depth", "20000"}, {}} {
		dir := filepath.Join(t.TempDir(), "killed")
		kills := 0
		for i := 0; i < 12; i++ {
			cmd := index(dir, mode...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run %d exited on its own with %v:\n%s", i, err, stderr.String())
				}
			case <-time.After(time.Duration(50+rng.IntN(450)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
				kills++
			}
		}
		if kills == 0 {
			t.Fatalf("mode %v: every run finished before its kill; the test proved nothing", mode)
		}
		if out, err := index(dir, mode...).CombinedOutput(); err != nil {
			t.Fatalf("final run after %d kills: %v\n%s", kills, err, out)
		}
		if got := spoorDump(t, bin, dir); !bytes.Equal(got, want) {
			t.Fatalf("mode %v: after %d kills the index differs from an uninterrupted run (%d vs %d bytes)", mode, kills, len(got), len(want))
		}
		t.Logf("mode %v: %d kills, index equal to the uninterrupted run", mode, kills)
		_ = os.RemoveAll(dir)
	}
}
