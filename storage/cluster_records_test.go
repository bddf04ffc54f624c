package storage

import (
	"bytes"
	"reflect"
	"testing"
)

func TestClusterRecordsRoundTrip(t *testing.T) {
	stats := ClusterStats{Size: 3, Received: 5e8, Sent: 1e8, Outputs: 7, Inputs: 2, FirstSeen: 10, LastSeen: 99}
	stats.Classes[4], stats.Classes[2] = 2, 1
	undo := ClusterUndo{
		Merges: []MergeUndo{{Winner: 5, Loser: 9, WinnerSizeBefore: 1, A: 5, B: 9, LoserMembers: []AddrID{9, 12}}},
		Stats:  []StatsUndo{{Cluster: 5, Had: true, Stats: stats}, {Cluster: 13}},
	}
	txh := TxHeuristics{CoinJoin: 33, HasChange: true, ChangeVout: 1, ChangeRules: 7, ChangeConfidence: 70,
		Guards: []GuardEvent{{A: 1, B: 2, Rule: 2, SizeA: 10, SizeB: 20, Refused: true}}}
	tests := []struct {
		name   string
		enc    []byte
		decode func([]byte) (any, error)
		want   any
	}{
		{"stats", stats.Encode(nil), func(b []byte) (any, error) { return DecodeClusterStats(b) }, stats},
		{"evidence", Evidence{TxNum: 77, Rule: 2, Confidence: 90}.Encode(nil), func(b []byte) (any, error) { return DecodeEvidence(b) }, Evidence{TxNum: 77, Rule: 2, Confidence: 90}},
		{"undo", undo.Encode(nil), func(b []byte) (any, error) { return DecodeClusterUndo(b) }, undo},
		{"tx heuristics", txh.Encode(nil), func(b []byte) (any, error) { return DecodeTxHeuristics(b) }, txh},
		{"generation", GenerationRecord{Spec: `{"a":1}`}.Encode(nil), func(b []byte) (any, error) { return DecodeGenerationRecord(b) }, GenerationRecord{Spec: `{"a":1}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.enc)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decode = %+v %v, want %+v", got, err, tt.want)
			}
			for i := 0; i < len(tt.enc); i++ {
				if _, err := tt.decode(tt.enc[:i]); err == nil {
					t.Fatalf("a record truncated to %d of %d bytes decoded", i, len(tt.enc))
				}
			}
			if _, err := tt.decode(append(append([]byte(nil), tt.enc...), 0)); err == nil {
				t.Fatal("a record with a trailing byte decoded")
			}
		})
	}
}

func TestClusterKeysRoundTrip(t *testing.T) {
	if k, err := DecodeClusterOfKey(MakeClusterOfKey(3, 99).Encode(nil)); err != nil || k != MakeClusterOfKey(3, 99) {
		t.Fatalf("cluster key = %+v %v", k, err)
	}
	if k, err := DecodeClusterMemberKey(MakeClusterMemberKey(3, 7, 99).Encode(nil)); err != nil || k != MakeClusterMemberKey(3, 7, 99) {
		t.Fatalf("member key = %+v %v", k, err)
	}
	if k, err := DecodeClusterStatsKey(MakeClusterStatsKey(3, 7).Encode(nil)); err != nil || k != MakeClusterStatsKey(3, 7) {
		t.Fatalf("stats key = %+v %v", k, err)
	}
	if k, err := DecodeClusterLinkKey(MakeClusterLinkKey(3, 7, 8).Encode(nil)); err != nil || k != MakeClusterLinkKey(3, 7, 8) {
		t.Fatalf("link key = %+v %v", k, err)
	}
	if k, err := DecodeClusterUndoKey(MakeClusterUndoKey(3, 700).Encode(nil)); err != nil || k != MakeClusterUndoKey(3, 700) {
		t.Fatalf("undo key = %+v %v", k, err)
	}
	if k, err := DecodeClusterTxKey(MakeClusterTxKey(3, 700).Encode(nil)); err != nil || k != MakeClusterTxKey(3, 700) {
		t.Fatalf("tx key = %+v %v", k, err)
	}
	if k, err := DecodeGenerationKey(MakeGenerationKey(3).Encode(nil)); err != nil || k != MakeGenerationKey(3) {
		t.Fatalf("generation key = %+v %v", k, err)
	}
	// Generations sort apart: every key of generation 1 is below every key
	// of generation 2, so one range delete removes a generation.
	if bytes.Compare(MakeClusterOfKey(1, 1<<63).Encode(nil), MakeClusterOfKey(2, 0).Encode(nil)) >= 0 {
		t.Fatal("cluster keys of generation 1 sort after generation 2")
	}
	if _, err := DecodeClusterOfKey(MakeClusterStatsKey(3, 7).Encode(nil)); err == nil {
		t.Fatal("a stats key decoded as a cluster key")
	}
}

// FuzzDecodeClusterUndo checks that any bytes either fail to decode or
// decode to a record that encodes back to the same bytes.
func FuzzDecodeClusterUndo(f *testing.F) {
	f.Add((&ClusterUndo{Merges: []MergeUndo{{Winner: 1, Loser: 2, LoserMembers: []AddrID{2}}}}).Encode(nil))
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeClusterUndo(b)
		if err != nil {
			return
		}
		if enc := u.Encode(nil); !bytes.Equal(enc, b) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", b, u, enc)
		}
	})
}

// FuzzDecodeTxHeuristics is FuzzDecodeClusterUndo for TxHeuristics.
func FuzzDecodeTxHeuristics(f *testing.F) {
	f.Add((&TxHeuristics{CoinJoin: 3, HasChange: true, Guards: []GuardEvent{{A: 1}}}).Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeTxHeuristics(b)
		if err != nil {
			return
		}
		if enc := v.Encode(nil); !bytes.Equal(enc, b) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", b, v, enc)
		}
	})
}

// FuzzDecodeClusterStats is FuzzDecodeClusterUndo for ClusterStats.
func FuzzDecodeClusterStats(f *testing.F) {
	s := ClusterStats{Size: 1}
	s.Classes[4] = 1
	f.Add(s.Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeClusterStats(b)
		if err != nil {
			return
		}
		if enc := v.Encode(nil); !bytes.Equal(enc, b) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", b, v, enc)
		}
	})
}
