package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Area adds one part of the API (chain data, traces, labels, screening,
// clusters) to a schema: it returns its root query fields and may register
// shared types, costs and list sizes on the builder. Each area lives in
// its own file; NewSchema joins them.
//
// A root field's resolver should be wrapped in RequireRole, which checks
// the caller's role, stops at the request's deadline, recovers panics and
// turns errors into client-safe GraphQL errors naming the field.
type Area func(b *Builder) (graphql.Fields, error)

// Builder collects what the areas contribute to a schema.
type Builder struct {
	// Log receives resolver failures (the client sees a reference only).
	Log *slog.Logger
	// MaxPageSize caps "first" on every paginated field.
	MaxPageSize int

	types     map[string]graphql.Type
	costs     map[string]int64
	listSizes map[string]int64
	mutations graphql.Fields
	// bulkScreen, set by the trace area, answers POST /screen without
	// the executor.
	bulkScreen bulkScreenFunc
	// running counts the resolvers running (RequireRole's), shared with
	// the Schema.
	running *atomic.Int64
}

// AddMutation adds a root field of the Mutation type. Its resolver should
// be wrapped in RequireRole like a query field's.
func (b *Builder) AddMutation(name string, f *graphql.Field) {
	if b.mutations == nil {
		b.mutations = graphql.Fields{}
	}
	b.mutations[name] = f
}

// Type returns the shared type registered under name, or nil.
func (b *Builder) Type(name string) graphql.Type { return b.types[name] }

// AddType registers a shared named type (for example "Transaction") for
// other areas to reuse.
func (b *Builder) AddType(t graphql.Type) { b.types[t.Name()] = t }

// SetCost sets the cost of one field (named "Type.field", for example
// "Query.trace") for the cost limit; fields default to 1.
func (b *Builder) SetCost(field string, cost int64) { b.costs[field] = cost }

// SetListSize sets the expected length of a list field without a "first"
// argument (named "Type.field"); the cost of what is selected under it is
// multiplied by this. Lists default to DefaultListSize.
func (b *Builder) SetListSize(field string, n int64) { b.listSizes[field] = n }

// DefaultListSize is the assumed length of a list field without a "first"
// argument and without a SetListSize.
const DefaultListSize = 10

// Schema is a built GraphQL schema with the cost table the limits use.
type Schema struct {
	docs      *docCache
	gql       graphql.Schema
	costs     map[string]int64
	listSizes map[string]int64
	// bulkScreen is the trace area's screenMany for POST /screen's
	// direct path; nil without a trace area.
	bulkScreen bulkScreenFunc
	// running counts the resolvers running, including those of requests
	// already answered with a timeout: the executor leaves them running
	// until they notice their deadline.
	running *atomic.Int64
}

// Wait returns once no resolver is running, or ctx is done. A server
// shutting down calls it after the HTTP server's Shutdown and before
// closing the index: a request answered with a timeout may leave its
// resolver still walking the index for a while.
func (s *Schema) Wait(ctx context.Context) error {
	for s.running.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("api: %d resolvers still running: %w", s.running.Load(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// SchemaOptions configure NewSchema.
type SchemaOptions struct {
	Log         *slog.Logger
	MaxPageSize int // 0: 100
}

// NewSchema builds the schema from the areas. Two areas may not define
// the same root field.
func NewSchema(opts SchemaOptions, areas ...Area) (*Schema, error) {
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = 100
	}
	b := &Builder{Log: opts.Log, MaxPageSize: opts.MaxPageSize, types: map[string]graphql.Type{},
		costs: map[string]int64{}, listSizes: map[string]int64{}, running: new(atomic.Int64)}
	b.AddType(newLong())
	root := graphql.Fields{}
	for i, area := range areas {
		fields, err := area(b)
		if err != nil {
			return nil, fmt.Errorf("api: schema area %d: %w", i, err)
		}
		for name, f := range fields {
			if _, dup := root[name]; dup {
				return nil, fmt.Errorf("api: schema: two areas define the root field %q", name)
			}
			root[name] = f
		}
	}
	query := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Query",
		Description: "The root of every query. Each field names the role an API key needs for it.",
		Fields:      root,
	})
	sc := graphql.SchemaConfig{Query: query}
	if len(b.mutations) > 0 {
		sc.Mutation = graphql.NewObject(graphql.ObjectConfig{
			Name:        "Mutation",
			Description: "Changes to stored state. Each field names the role an API key needs for it; every change is audited.",
			Fields:      b.mutations,
		})
	}
	s, err := graphql.NewSchema(sc)
	if err != nil {
		return nil, fmt.Errorf("api: schema: %w", err)
	}
	warmEnums(&s)
	return &Schema{gql: s, costs: b.costs, listSizes: b.listSizes, docs: newDocCache(1024, 16<<20), bulkScreen: b.bulkScreen, running: b.running}, nil
}

// GraphQL returns the underlying graphql-go schema.
func (s *Schema) GraphQL() *graphql.Schema { return &s.gql }

// RequireRole wraps a resolver so that it runs only for callers holding at
// least role min. It also stops once the request's context is done,
// recovers a panic, and replaces errors that are not *Error by a bare
// internal error (logged with a reference) so nothing internal leaks.
func (b *Builder) RequireRole(min Role, resolve graphql.FieldResolveFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (out any, err error) {
		if b.running != nil {
			b.running.Add(1)
			defer b.running.Add(-1)
		}
		ctx := p.Context
		if ctx == nil {
			ctx = context.Background()
		}
		field := p.Info.FieldName
		if p.Info.ParentType != nil && p.Info.ParentType.Name() != "Query" {
			field = p.Info.ParentType.Name() + "." + field
		}
		c, ok := CallerFrom(ctx)
		if !ok || c.Role < min {
			have := "no key"
			if ok {
				have = "role " + c.Role.String()
			}
			return nil, Errorf(CodeForbidden, "%s: needs role %s; the key has %s", field, min, have)
		}
		if err := ctx.Err(); err != nil {
			return nil, publicError(ctx, b.Log, field, err)
		}
		defer func() {
			if r := recover(); r != nil {
				out, err = nil, publicError(ctx, b.Log, field, fmt.Errorf("panic: %v", r))
			}
		}()
		out, err = resolve(p)
		if err != nil {
			return nil, publicError(ctx, b.Log, field, err)
		}
		return out, nil
	}
}

// pageSize reads the "first" argument of a paginated field, checked
// against the builder's maximum (the limits check it before execution
// too; this guards calls that bypass them).
func (b *Builder) pageSize(p graphql.ResolveParams, field string) (int, error) {
	n, _ := p.Args["first"].(int)
	if n < 0 || n > b.MaxPageSize {
		return 0, Errorf(CodeLimit, "%s: first %d is outside 0..%d", field, n, b.MaxPageSize)
	}
	return n, nil
}

// Long returns the schema's 64-bit integer scalar, for amounts in satoshi
// and counts.
func (b *Builder) Long() graphql.Output { return b.types["Long"].(graphql.Output) }

// newLong makes the Long scalar: a 64-bit integer written as a JSON
// number; values up to 2^53 are exact in every JSON reader, which covers
// every Bitcoin amount.
func newLong() *graphql.Scalar {
	return graphql.NewScalar(graphql.ScalarConfig{
		Name: "Long",
		Description: "A 64-bit integer, written as a JSON number. Amounts are in satoshi; " +
			"every amount fits in 2^53, so JavaScript reads them exactly.",
		Serialize: func(v any) any {
			switch v := v.(type) {
			case int64:
				return v
			case uint64:
				if v > math.MaxInt64 {
					return nil
				}
				return int64(v)
			case uint32:
				return int64(v)
			case int:
				return int64(v)
			}
			return nil
		},
		ParseValue: func(v any) any {
			switch v := v.(type) {
			case float64:
				if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
					return int64(v)
				}
			case int:
				return int64(v)
			case int64:
				return v
			case string:
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					return n
				}
			}
			return nil
		},
		ParseLiteral: func(v ast.Value) any {
			if iv, ok := v.(*ast.IntValue); ok {
				if n, err := strconv.ParseInt(iv.Value, 10, 64); err == nil {
					return n
				}
			}
			return nil
		},
	})
}

// warmEnums builds, before the schema serves anyone, the lookup tables
// graphql-go's enums otherwise build on first use: by name (to read an
// enum in a query or its variables) and by value (to write one in an
// answer). graphql-go builds them without a lock, so two requests using
// an enum for the first time at once would race on them; built here,
// they are only read.
func warmEnums(s *graphql.Schema) {
	for _, t := range s.TypeMap() {
		e, ok := t.(*graphql.Enum)
		if !ok || len(e.Values()) == 0 {
			continue
		}
		v := e.Values()[0]
		e.ParseValue(v.Name)
		e.Serialize(v.Value)
	}
}
