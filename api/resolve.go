package api

import (
	"reflect"
	"strings"

	"github.com/graphql-go/graphql"
)

// structField resolves a GraphQL field from the Go struct field of the
// same name (compared without case: txCount reads TxCount).
func structField(name string) graphql.FieldResolveFn { return structFieldNamed(name, "") }

// structFieldNamed resolves a GraphQL field from the Go struct field
// goName (or, when goName is "", the field named like the GraphQL one). A
// nil pointer and, for nullable strings, "" resolve to null.
func structFieldNamed(name, goName string) graphql.FieldResolveFn {
	if goName == "" {
		goName = name
	}
	return func(p graphql.ResolveParams) (any, error) {
		v := reflect.ValueOf(p.Source)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, nil
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return nil, nil
		}
		f := v.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, goName) })
		if !f.IsValid() || !f.CanInterface() {
			return nil, nil
		}
		switch {
		case f.Kind() == reflect.Pointer && f.IsNil():
			return nil, nil
		case f.Kind() == reflect.String && f.Len() == 0:
			if _, nonNull := p.Info.ReturnType.(*graphql.NonNull); !nonNull {
				return nil, nil
			}
		}
		return f.Interface(), nil
	}
}

// setStructResolvers gives the named fields of obj struct-field
// resolvers.
func setStructResolvers(obj *graphql.Object, names ...string) {
	fields := obj.Fields()
	for _, n := range names {
		fields[n].Resolve = structField(n)
	}
}
