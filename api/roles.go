package api

import (
	"context"
	"fmt"
)

// Role is what an API key may do. Roles are ordered: each includes the
// ones before it.
type Role int

// The roles, weakest first.
const (
	// RoleViewer reads blocks, transactions, addresses and index stats.
	RoleViewer Role = iota + 1
	// RoleAnalyst also traces funds, screens addresses and exports.
	RoleAnalyst
	// RoleAdmin also imports labels and reads the audit log.
	RoleAdmin
)

// String returns the role's name as written in the config.
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleAnalyst:
		return "analyst"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole reads a role name: viewer, analyst or admin.
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{RoleViewer, RoleAnalyst, RoleAdmin} {
		if s == r.String() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("role %q: want viewer, analyst or admin", s)
}

// Caller is who sent a request: the id of the API key it presented (never
// the key) and the key's role.
type Caller struct {
	KeyID string
	Role  Role
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller carried by ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Allows reports whether ctx's caller holds at least role min.
func Allows(ctx context.Context, min Role) bool {
	c, ok := CallerFrom(ctx)
	return ok && c.Role >= min
}
