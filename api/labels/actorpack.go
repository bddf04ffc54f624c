package labels

import (
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Actor is one entry of a GraphSense ActorPack: a named real-world actor
// (an exchange, a group, a service) that tags refer to by id.
type Actor struct {
	ID            string
	URI           string
	Label         string
	LastMod       int64 // unix seconds
	Categories    []string
	Jurisdictions []string // ISO 3166-1 alpha-2 country codes
	Aliases       []string
}

// ActorPack is a parsed ActorPack.
type ActorPack struct {
	File   string
	Title  string
	Actors map[string]*Actor
}

// isCountryCode reports whether s has the shape of an ISO 3166-1 alpha-2
// code: two upper-case ASCII letters.
func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// ParseActorPack reads a GraphSense ActorPack. Every actor needs id, uri,
// label, lastmod and categories (concepts of the taxonomy); jurisdictions
// must be two-letter country codes. Errors name the file, the actor's index
// in actors (from 0), its line and the field.
func ParseActorPack(file string, r io.Reader) (*ActorPack, error) {
	root, err := readYAMLMapping(file, r)
	if err != nil {
		return nil, err
	}
	fields, err := mappingFields(root)
	if err != nil {
		return nil, invalidf("%s: header: %w", file, err)
	}
	pack := &ActorPack{File: file, Actors: map[string]*Actor{}}
	var actors *yaml.Node
	var creator string
	for _, f := range fields {
		hdrErr := func(err error) error {
			return invalidf("%s: header (line %d): %s: %w", file, f.value.Line, f.key, err)
		}
		switch f.key {
		case "title":
			if pack.Title, err = nonEmptyStr(f.value); err != nil {
				return nil, hdrErr(err)
			}
		case "creator":
			if creator, err = nonEmptyStr(f.value); err != nil {
				return nil, hdrErr(err)
			}
		case "description":
		case "is_public":
			if _, err := boolValue(f.value); err != nil {
				return nil, hdrErr(err)
			}
		case "actors":
			if f.value.Kind != yaml.SequenceNode {
				return nil, hdrErr(fmt.Errorf("want a list of actors, found %s", kindName(f.value)))
			}
			actors = f.value
		case "tags":
			return nil, hdrErr(errors.New("this is a TagPack, not an ActorPack (use --format tagpack)"))
		default:
			return nil, hdrErr(errors.New("unknown field (an ActorPack header has title, creator, description, is_public and actors)"))
		}
	}
	for _, missing := range []struct {
		name string
		ok   bool
	}{{"title", pack.Title != ""}, {"creator", creator != ""}, {"actors", actors != nil}} {
		if !missing.ok {
			return nil, invalidf("%s: header: mandatory field %s is missing", file, missing.name)
		}
	}
	for i, an := range actors.Content {
		a, err := parseActor(file, i, an)
		if err != nil {
			return nil, err
		}
		if prev := pack.Actors[a.ID]; prev != nil {
			return nil, invalidf("%s: actors[%d] (line %d): id %q is given twice", file, i, an.Line, a.ID)
		}
		pack.Actors[a.ID] = a
	}
	return pack, nil
}

func parseActor(file string, i int, an *yaml.Node) (*Actor, error) {
	where := fmt.Sprintf("%s: actors[%d] (line %d)", file, i, an.Line)
	fields, err := mappingFields(an)
	if err != nil {
		return nil, invalidf("%s: %w", where, err)
	}
	a := &Actor{}
	var lastmod string
	for _, f := range fields {
		if isNull(f.value) {
			continue
		}
		fieldErr := func(err error) error {
			return invalidf("%s: actors[%d] (line %d): %s: %w", file, i, f.value.Line, f.key, err)
		}
		switch f.key {
		case "id":
			a.ID, err = nonEmptyStr(f.value)
		case "uri":
			a.URI, err = nonEmptyStr(f.value)
		case "label":
			a.Label, err = nonEmptyStr(f.value)
		case "lastmod":
			if lastmod, err = nonEmptyStr(f.value); err == nil {
				a.LastMod, err = parseDate(lastmod)
			}
		case "categories":
			if a.Categories, err = strList(f.value); err == nil {
				for _, c := range a.Categories {
					if err = checkConcept(c); err != nil {
						break
					}
				}
			}
		case "jurisdictions":
			if a.Jurisdictions, err = strList(f.value); err == nil {
				for _, j := range a.Jurisdictions {
					if !isCountryCode(j) {
						err = fmt.Errorf("%q is not a two-letter upper-case country code", j)
						break
					}
				}
			}
		case "aliases":
			a.Aliases, err = strList(f.value)
		case "context":
			// Free-form JSON or mapping: links, images, handles. Not stored.
		default:
			err = errors.New("unknown actor field (known: id, uri, label, lastmod, categories, jurisdictions, aliases, context)")
		}
		if err != nil {
			return nil, fieldErr(err)
		}
	}
	for _, m := range []struct {
		name string
		ok   bool
	}{{"id", a.ID != ""}, {"uri", a.URI != ""}, {"label", a.Label != ""}, {"lastmod", lastmod != ""}, {"categories", len(a.Categories) > 0}} {
		if !m.ok {
			return nil, invalidf("%s: mandatory field %s is missing", where, m.name)
		}
	}
	return a, nil
}
