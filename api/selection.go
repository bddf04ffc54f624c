package api

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// selectsField reports whether the query selects the named field directly
// below the field being resolved (through fragments too), so a resolver
// can skip work for parts of its result nobody asked for.
func selectsField(p graphql.ResolveParams, name string) bool {
	for _, f := range p.Info.FieldASTs {
		if selects(p, f.SelectionSet, false, func(n string) bool { return n == name }) {
			return true
		}
	}
	return false
}

// selects reports whether ss selects a field whose name match accepts,
// through fragments; with deep, also anywhere below the fields it selects.
func selects(p graphql.ResolveParams, ss *ast.SelectionSet, deep bool, match func(string) bool) bool {
	return eachField(p, ss, deep, func(f *ast.Field) bool { return match(f.Name.Value) })
}

// eachField calls visit for each named field ss selects, through inline
// fragments and fragment spreads (each fragment once), and with deep for
// the fields below them too, until visit returns true; it reports whether
// one did.
func eachField(p graphql.ResolveParams, ss *ast.SelectionSet, deep bool, visit func(*ast.Field) bool) bool {
	seen := map[string]bool{}
	var walk func(ss *ast.SelectionSet) bool
	walk = func(ss *ast.SelectionSet) bool {
		if ss == nil {
			return false
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != nil && visit(s) {
					return true
				}
				if deep && walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if s.Name == nil || seen[s.Name.Value] {
					continue
				}
				seen[s.Name.Value] = true
				if def, ok := p.Info.Fragments[s.Name.Value].(*ast.FragmentDefinition); ok && walk(def.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	return walk(ss)
}
