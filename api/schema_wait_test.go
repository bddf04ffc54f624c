package api

import (
	"context"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
)

// TestSchemaWait checks that Wait outlasts a resolver left running by a
// request answered with a timeout, and returns once it ends.
func TestSchemaWait(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{})
	s, err := NewSchema(SchemaOptions{}, func(b *Builder) (graphql.Fields, error) {
		return graphql.Fields{"slow": {Type: graphql.Int, Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
			close(started)
			<-release
			return 1, nil
		})}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(WithCaller(context.Background(), Caller{KeyID: "k", Role: RoleViewer}), 50*time.Millisecond)
	defer cancel()
	out := s.Execute(ctx, Request{Query: `{ slow }`}, DefaultLimits())
	if len(out.Result.Errors) == 0 {
		t.Fatalf("no timeout: %+v", out.Result)
	}
	<-started
	short, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	if err := s.Wait(short); err == nil {
		t.Fatal("Wait returned with the resolver still running")
	}
	close(release)
	long, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	if err := s.Wait(long); err != nil {
		t.Fatal(err)
	}
}
