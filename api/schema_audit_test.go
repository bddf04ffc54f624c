package api

import (
	"context"
	"testing"

	"github.com/spoorhq/spoor/api/audit"
)

func TestAuditHeadForAdminsOnly(t *testing.T) {
	log, err := audit.Open(t.TempDir(), &audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	written, err := log.Append(context.Background(), audit.Entry{KeyID: "k", Operation: audit.OpQuery, Query: "{ x }", Status: audit.StatusOK})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSchema(SchemaOptions{}, AuditArea(log))
	if err != nil {
		t.Fatal(err)
	}
	q := Request{Query: `{ auditHead { seq hash } }`}
	res := s.Execute(WithCaller(context.Background(), Caller{KeyID: "a", Role: RoleAdmin}), q, DefaultLimits()).Result
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	head := res.Data.(map[string]any)["auditHead"].(map[string]any)
	if head["seq"] != int64(1) || head["hash"] != written.Hash {
		t.Fatalf("head %v, written %+v", head, written)
	}
	res = s.Execute(WithCaller(context.Background(), Caller{KeyID: "b", Role: RoleAnalyst}), q, DefaultLimits()).Result
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != CodeForbidden {
		t.Fatalf("analyst: %+v", res)
	}
}
