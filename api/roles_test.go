package api

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
)

// secretArea is an area with one field per role and one that fails, as
// the trace and label areas will add them.
func secretArea(b *Builder) (graphql.Fields, error) {
	field := func(min Role) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Description: "Needs " + min.String() + ".",
			Resolve: b.RequireRole(min, func(p graphql.ResolveParams) (any, error) { return "granted", nil })}
	}
	return graphql.Fields{
		"forViewers":  field(RoleViewer),
		"forAnalysts": field(RoleAnalyst),
		"forAdmins":   field(RoleAdmin),
		"fails": {Type: graphql.String, Description: "Fails with an internal error.",
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				return nil, errors.New("open /secret/path/db: permission denied")
			})},
		"panics": {Type: graphql.String, Description: "Panics.",
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				var m map[string]int
				m["x"] = 1
				return nil, nil
			})},
	}, nil
}

func TestRequireRole(t *testing.T) {
	s, err := NewSchema(SchemaOptions{}, secretArea)
	if err != nil {
		t.Fatal(err)
	}
	q := `{ forViewers forAnalysts forAdmins }`
	tests := []struct {
		name    string
		ctx     context.Context
		granted []string
		denied  []string
	}{
		{"no caller", context.Background(), nil, []string{"forViewers", "forAnalysts", "forAdmins"}},
		{"viewer", WithCaller(context.Background(), Caller{KeyID: "v", Role: RoleViewer}), []string{"forViewers"}, []string{"forAnalysts", "forAdmins"}},
		{"analyst", WithCaller(context.Background(), Caller{KeyID: "a", Role: RoleAnalyst}), []string{"forViewers", "forAnalysts"}, []string{"forAdmins"}},
		{"admin", WithCaller(context.Background(), Caller{KeyID: "x", Role: RoleAdmin}), []string{"forViewers", "forAnalysts", "forAdmins"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Execute(tt.ctx, Request{Query: q}, DefaultLimits()).Result
			data := res.Data.(map[string]any)
			for _, f := range tt.granted {
				if data[f] != "granted" {
					t.Errorf("%s = %v", f, data[f])
				}
			}
			if len(res.Errors) != len(tt.denied) {
				t.Fatalf("errors %v, want one for each of %v", res.Errors, tt.denied)
			}
			for i, f := range tt.denied {
				e := res.Errors[i]
				if data[f] != nil || !strings.HasPrefix(e.Message, f+": needs role") || e.Extensions["code"] != CodeForbidden {
					t.Errorf("%s: %v %+v", f, data[f], e)
				}
			}
		})
	}
}

// TestInternalErrorsDoNotLeak checks that a resolver's own error or panic
// reaches the client as a bare internal error with a reference, never its
// text.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	s, err := NewSchema(SchemaOptions{}, secretArea)
	if err != nil {
		t.Fatal(err)
	}
	res := s.Execute(WithCaller(context.Background(), Caller{Role: RoleViewer}), Request{Query: `{ fails panics }`}, DefaultLimits()).Result
	if len(res.Errors) != 2 {
		t.Fatalf("errors = %v", res.Errors)
	}
	for _, e := range res.Errors {
		if strings.Contains(e.Message, "secret") || strings.Contains(e.Message, "nil map") || !strings.Contains(e.Message, "internal error (reference ") ||
			e.Extensions["code"] != CodeInternal {
			t.Errorf("error leaks or lacks its reference: %+v", e)
		}
	}
}

func TestNewSchemaRejectsDuplicateRootFields(t *testing.T) {
	_, err := NewSchema(SchemaOptions{}, secretArea, secretArea)
	if err == nil || !strings.Contains(err.Error(), "two areas define the root field") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range []Role{RoleViewer, RoleAnalyst, RoleAdmin} {
		if got, err := ParseRole(r.String()); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r, got, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole accepted root")
	}
}
