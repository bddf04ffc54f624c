package api

import (
	"encoding/json"

	"math"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Limits bound what one query may ask for. They are checked on the parsed
// query before it is validated or run.
type Limits struct {
	// MaxDepth is the deepest field nesting allowed (root fields are depth
	// 1). Introspection (__schema, __type) is not counted.
	MaxDepth int
	// MaxCost is the largest computed cost allowed. Every field costs 1
	// (or its SetCost); what is selected under a list is multiplied by the
	// list's page size: its "first" argument, else its SetListSize, else
	// DefaultListSize.
	MaxCost int64
	// MaxPageSize caps every "first" argument.
	MaxPageSize int
}

// DefaultLimits returns the limits used when the config gives none.
func DefaultLimits() Limits { return Limits{MaxDepth: 12, MaxCost: 10000, MaxPageSize: 100} }

// maxCostValue caps costs while summing so they never overflow.
const maxCostValue = math.MaxInt64 / 4

// subtree is the cost and depth of a selection set, with the path of its
// deepest and of its costliest field for error messages.
type subtree struct {
	cost      int64
	depth     int
	deepest   string
	costliest string
	topCost   int64 // cost of the costliest child
}

// limitWalker computes a query's cost and depth against a schema.
type limitWalker struct {
	s        *Schema
	lim      Limits
	frags    map[string]*ast.FragmentDefinition
	vars     map[string]any
	varDefs  map[string]ast.Value
	memo     map[string]subtree
	visiting map[string]bool
}

// CheckLimits computes the cost and depth of the operation opName (or the
// only operation) of doc with the given variables, and returns an *Error
// with code LIMIT naming the field when a limit is passed. It returns the
// cost.
func (s *Schema) CheckLimits(doc *ast.Document, opName string, vars map[string]any, lim Limits) (int64, error) {
	w := &limitWalker{s: s, lim: lim, frags: map[string]*ast.FragmentDefinition{}, vars: vars,
		varDefs: map[string]ast.Value{}, memo: map[string]subtree{}, visiting: map[string]bool{}}
	var op *ast.OperationDefinition
	ops := 0
	for _, def := range doc.Definitions {
		switch d := def.(type) {
		case *ast.FragmentDefinition:
			if d.Name != nil {
				w.frags[d.Name.Value] = d
			}
		case *ast.OperationDefinition:
			ops++
			if opName == "" || d.Name != nil && d.Name.Value == opName {
				op = d
			}
		}
	}
	switch {
	case op == nil && opName != "":
		return 0, Errorf(CodeSyntax, "no operation named %q in the query", clip(opName, 80))
	case op == nil:
		return 0, Errorf(CodeSyntax, "the query holds no operation")
	case opName == "" && ops > 1:
		return 0, Errorf(CodeSyntax, "the query holds %d operations: name the one to run (operationName)", ops)
	case op.Operation == ast.OperationTypeMutation && s.gql.MutationType() != nil:
	case op.Operation != ast.OperationTypeQuery:
		return 0, Errorf(CodeSyntax, "%s operations are not served; only queries", op.Operation)
	}
	root := s.gql.QueryType()
	if op.Operation == ast.OperationTypeMutation {
		root = s.gql.MutationType()
	}
	for _, vd := range op.VariableDefinitions {
		if vd.Variable != nil && vd.Variable.Name != nil && vd.DefaultValue != nil {
			w.varDefs[vd.Variable.Name.Value] = vd.DefaultValue
		}
	}
	st, err := w.selectionSet(op.SelectionSet, root)
	if err != nil {
		return 0, err
	}
	if st.depth > lim.MaxDepth {
		return st.cost, Errorf(CodeLimit, "query depth %d at %s exceeds the limit of %d", st.depth, st.deepest, lim.MaxDepth)
	}
	if st.cost > lim.MaxCost {
		return st.cost, Errorf(CodeLimit, "query cost %d exceeds the limit of %d; the costliest path is %s, whose root field costs %d: ask for fewer fields or smaller pages",
			st.cost, lim.MaxCost, st.costliest, st.topCost)
	}
	return st.cost, nil
}

func (w *limitWalker) selectionSet(ss *ast.SelectionSet, parent graphql.Type) (subtree, error) {
	var out subtree
	if ss == nil {
		return out, nil
	}
	for _, sel := range ss.Selections {
		var st subtree
		var err error
		switch sel := sel.(type) {
		case *ast.Field:
			st, err = w.field(sel, parent)
		case *ast.InlineFragment:
			t := parent
			if sel.TypeCondition != nil && sel.TypeCondition.Name != nil {
				if named := w.s.gql.Type(sel.TypeCondition.Name.Value); named != nil {
					t = named
				}
			}
			st, err = w.selectionSet(sel.SelectionSet, t)
		case *ast.FragmentSpread:
			st, err = w.spread(sel)
		}
		if err != nil {
			return out, err
		}
		out.cost = addCost(out.cost, st.cost)
		if st.depth > out.depth {
			out.depth, out.deepest = st.depth, st.deepest
		}
		if st.topCost > out.topCost || out.costliest == "" {
			out.topCost, out.costliest = st.topCost, st.costliest
		}
		// Stop early once far past the limit, so walking stays cheap.
		if out.cost > w.lim.MaxCost && out.cost >= maxCostValue {
			break
		}
	}
	return out, nil
}

// spread walks a named fragment once and reuses the result.
func (w *limitWalker) spread(sp *ast.FragmentSpread) (subtree, error) {
	if sp.Name == nil {
		return subtree{}, nil
	}
	name := sp.Name.Value
	if st, ok := w.memo[name]; ok {
		return st, nil
	}
	def := w.frags[name]
	if def == nil {
		return subtree{}, Errorf(CodeSyntax, "unknown fragment %q", clip(name, 80))
	}
	if w.visiting[name] {
		return subtree{}, Errorf(CodeSyntax, "fragment %q spreads itself", clip(name, 80))
	}
	w.visiting[name] = true
	defer delete(w.visiting, name)
	var t graphql.Type
	if def.TypeCondition != nil && def.TypeCondition.Name != nil {
		t = w.s.gql.Type(def.TypeCondition.Name.Value)
	}
	st, err := w.selectionSet(def.SelectionSet, t)
	if err != nil {
		return st, err
	}
	w.memo[name] = st
	return st, nil
}

func (w *limitWalker) field(f *ast.Field, parent graphql.Type) (subtree, error) {
	if f.Name == nil {
		return subtree{}, nil
	}
	name := f.Name.Value
	if name == "__schema" || name == "__type" {
		// Introspection is bounded by the schema's size: one per field
		// asked for, no depth.
		n := countFields(f.SelectionSet, w.frags, map[string]bool{})
		return subtree{cost: n, costliest: name, topCost: n}, nil
	}
	typeName := ""
	var def *graphql.FieldDefinition
	switch t := parent.(type) {
	case *graphql.Object:
		typeName = t.Name()
		def = t.Fields()[name]
	case *graphql.Interface:
		typeName = t.Name()
		def = t.Fields()[name]
	}
	path := name
	if f.Alias != nil && f.Alias.Value != "" {
		path = f.Alias.Value
	}
	qualified := typeName + "." + name
	own := int64(1)
	if c, ok := w.s.costs[qualified]; ok {
		own = c
	}
	if def == nil { // unknown here; validation reports it
		return subtree{cost: own, depth: 1, deepest: path, costliest: path, topCost: own}, nil
	}
	mult := int64(1)
	if arg := fieldArg(def, "first"); arg != nil {
		n, err := w.first(f, arg, qualified)
		if err != nil {
			return subtree{}, err
		}
		mult = n
	} else if isList(def.Type) {
		mult = DefaultListSize
		if n, ok := w.s.listSizes[qualified]; ok {
			mult = n
		}
	}
	child, err := w.selectionSet(f.SelectionSet, namedType(def.Type))
	if err != nil {
		return subtree{}, err
	}
	st := subtree{cost: addCost(own, mulCost(mult, child.cost)), depth: 1 + child.depth, deepest: path, costliest: path}
	if child.deepest != "" {
		st.deepest = path + "." + child.deepest
	}
	if child.costliest != "" && f.SelectionSet != nil {
		st.costliest = path + "." + child.costliest
	}
	st.topCost = st.cost
	return st, nil
}

// first reads the "first" argument of f (a literal, a variable, the
// variable's default or the argument's default) and checks it.
func (w *limitWalker) first(f *ast.Field, arg *graphql.Argument, field string) (int64, error) {
	var v any = arg.DefaultValue
	for _, a := range f.Arguments {
		if a.Name == nil || a.Name.Value != "first" {
			continue
		}
		v = a.Value
	}
	if vr, ok := v.(*ast.Variable); ok && vr.Name != nil {
		if given, ok := w.vars[vr.Name.Value]; ok {
			v = given
		} else if d, ok := w.varDefs[vr.Name.Value]; ok {
			v = d
		} else {
			v = arg.DefaultValue
		}
	}
	var n int64
	switch v := v.(type) {
	case nil:
		n = DefaultListSize
	case *ast.IntValue:
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return 0, Errorf(CodeLimit, "%s: first %s is not a page size of at most %d", field, clip(v.Value, 40), w.lim.MaxPageSize)
		}
		n = x
	case int:
		n = int64(v)
	case int64:
		n = v
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return 0, Errorf(CodeLimit, "%s: first %v is not a page size of at most %d", field, v, w.lim.MaxPageSize)
		}
		n = int64(v)
	case json.Number:
		x, err := v.Int64()
		if err != nil {
			return 0, Errorf(CodeLimit, "%s: first %s is not a page size of at most %d", field, clip(v.String(), 40), w.lim.MaxPageSize)
		}
		n = x
	default:
		return DefaultListSize, nil // a wrong type; validation reports it
	}
	if n < 0 || n > int64(w.lim.MaxPageSize) {
		return 0, Errorf(CodeLimit, "%s: first %d is outside the page size limit 0..%d", field, n, w.lim.MaxPageSize)
	}
	return n, nil
}

// countFields counts the fields of an introspection selection, following
// each fragment once.
func countFields(ss *ast.SelectionSet, frags map[string]*ast.FragmentDefinition, seen map[string]bool) int64 {
	if ss == nil {
		return 0
	}
	var n int64
	for _, sel := range ss.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			n = addCost(n, 1+countFields(sel.SelectionSet, frags, seen))
		case *ast.InlineFragment:
			n = addCost(n, countFields(sel.SelectionSet, frags, seen))
		case *ast.FragmentSpread:
			if sel.Name != nil && !seen[sel.Name.Value] && frags[sel.Name.Value] != nil {
				seen[sel.Name.Value] = true
				n = addCost(n, countFields(frags[sel.Name.Value].SelectionSet, frags, seen))
			}
		}
	}
	return n
}

func fieldArg(def *graphql.FieldDefinition, name string) *graphql.Argument {
	for _, a := range def.Args {
		if a.Name() == name {
			return a
		}
	}
	return nil
}

func isList(t graphql.Type) bool {
	if nn, ok := t.(*graphql.NonNull); ok {
		t = nn.OfType
	}
	_, ok := t.(*graphql.List)
	return ok
}

// namedType strips NonNull and List wrappers.
func namedType(t graphql.Type) graphql.Type {
	for {
		switch w := t.(type) {
		case *graphql.NonNull:
			t = w.OfType
		case *graphql.List:
			t = w.OfType
		default:
			return t
		}
	}
}

func addCost(a, b int64) int64 {
	if a+b > maxCostValue || a+b < 0 {
		return maxCostValue
	}
	return a + b
}

func mulCost(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > maxCostValue/b {
		return maxCostValue
	}
	return a * b
}

// checkNesting rejects query text nesting brackets deeper than max before
// it is parsed, so the parser's recursion stays shallow. Strings and
// comments are skipped.
func checkNesting(q string, max int) error {
	depth, deepest := 0, 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case '"':
			if strings.HasPrefix(q[i:], `"""`) {
				end := strings.Index(q[i+3:], `"""`)
				if end < 0 {
					return nil // unterminated: the parser reports it
				}
				i += 3 + end + 2
				continue
			}
			for i++; i < len(q) && q[i] != '"' && q[i] != '\n'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
		case '{', '[', '(':
			depth++
			if depth > deepest {
				deepest = depth
			}
			if deepest > max {
				return Errorf(CodeLimit, "the query nests brackets more than %d deep", max)
			}
		case '}', ']', ')':
			depth--
		}
	}
	return nil
}
