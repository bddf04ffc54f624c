package api

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// Request is one GraphQL request as posted to /graphql.
type Request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
}

// Outcome is the result of running a request, with how it ended for the
// audit log.
type Outcome struct {
	Result *graphql.Result
	// Rejected is true when the request was refused before running:
	// syntax, validation or limits.
	Rejected bool
	// Cost is the query's computed cost (0 when it did not parse).
	Cost int64
}

// Execute runs one request: it checks the text's nesting, parses it,
// checks the limits, validates it against the schema and executes it with
// ctx (which carries the caller and the deadline). Nothing runs unless
// every check passes.
func (s *Schema) Execute(ctx context.Context, req Request, lim Limits) Outcome {
	reject := func(err error) Outcome {
		return Outcome{Result: &graphql.Result{Errors: []gqlerrors.FormattedError{formatError(err)}}, Rejected: true}
	}
	if req.Query == "" {
		return reject(Errorf(CodeSyntax, "the request has no query"))
	}
	doc := s.docs.get(req.Query)
	validated := doc != nil
	if doc == nil {
		if err := checkNesting(req.Query, 4*lim.MaxDepth+16); err != nil {
			return reject(err)
		}
		var err error
		doc, err = parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(req.Query), Name: "query"})})
		if err != nil {
			return reject(Errorf(CodeSyntax, "%s", clip(err.Error(), 500)))
		}
	}
	// Limits come before validation: validation's cost grows faster than
	// the query's size, so an oversized query is refused first.
	cost, err := s.CheckLimits(doc, req.OperationName, req.Variables, lim)
	if err != nil {
		o := reject(err)
		o.Cost = cost
		return o
	}
	if !validated {
		vr := graphql.ValidateDocument(&s.gql, doc, nil)
		if !vr.IsValid {
			errs := make([]gqlerrors.FormattedError, 0, len(vr.Errors))
			for _, e := range vr.Errors {
				if e.Extensions == nil {
					e.Extensions = map[string]any{"code": CodeSyntax}
				}
				errs = append(errs, e)
			}
			return Outcome{Result: &graphql.Result{Errors: errs}, Rejected: true, Cost: cost}
		}
		s.docs.put(req.Query, doc)
	}
	res := graphql.Execute(graphql.ExecuteParams{Schema: s.gql, AST: doc, OperationName: req.OperationName,
		Args: req.Variables, Context: ctx})
	for i, e := range res.Errors {
		// Errors graphql-go makes itself (variable coercion, the deadline)
		// carry no code; give them one. Resolver errors already have one.
		if e.Extensions == nil {
			code := CodeBadInput
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && e.Message == context.DeadlineExceeded.Error() {
				code = CodeTimeout
				res.Errors[i].Message = "the request's time limit passed"
			}
			res.Errors[i].Extensions = map[string]any{"code": code}
		}
	}
	sortErrors(res.Errors)
	return Outcome{Result: res, Cost: cost}
}

// sortErrors orders errors by their position in the query, so a response
// does not depend on the order fields happened to be resolved in.
func sortErrors(errs []gqlerrors.FormattedError) {
	pos := func(e gqlerrors.FormattedError) (int, int) {
		if len(e.Locations) == 0 {
			return 0, 0
		}
		return e.Locations[0].Line, e.Locations[0].Column
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, ci := pos(errs[i])
		lj, cj := pos(errs[j])
		if li != lj {
			return li < lj
		}
		if ci != cj {
			return ci < cj
		}
		return fmt.Sprint(errs[i].Path) < fmt.Sprint(errs[j].Path)
	})
}

// formatError renders err as a GraphQL error with its code.
func formatError(err error) gqlerrors.FormattedError {
	fe := gqlerrors.FormattedError{Message: err.Error(), Locations: nil}
	var pe *Error
	if errors.As(err, &pe) {
		fe.Extensions = pe.Extensions()
	}
	return fe
}
