package api

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// evidenceFields are the screening fields the exposure index cannot
// answer: asking for any of them makes the screening walk.
var evidenceFields = map[string]bool{"entities": true, "paths": true}

// wantsEvidence reports whether the query selects, anywhere below the
// field being resolved, the entities or paths of an exposure category
// (through fragments too).
func wantsEvidence(p graphql.ResolveParams) bool {
	seen := map[string]bool{}
	var walk func(ss *ast.SelectionSet) bool
	walk = func(ss *ast.SelectionSet) bool {
		if ss == nil {
			return false
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != nil && evidenceFields[s.Name.Value] {
					return true
				}
				if walk(s.SelectionSet) {
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
