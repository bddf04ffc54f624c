package api

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// selectsField reports whether the query selects the named field directly
// below the field being resolved (through fragments too), so a resolver
// can skip work for parts of its result nobody asked for.
func selectsField(p graphql.ResolveParams, name string) bool {
	seen := map[string]bool{}
	var walk func(ss *ast.SelectionSet) bool
	walk = func(ss *ast.SelectionSet) bool {
		if ss == nil {
			return false
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != nil && s.Name.Value == name {
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
	for _, f := range p.Info.FieldASTs {
		if walk(f.SelectionSet) {
			return true
		}
	}
	return false
}
