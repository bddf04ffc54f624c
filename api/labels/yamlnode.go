package labels

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxYAMLBytes bounds how much of a TagPack or ActorPack is read: the
// largest public packs are a few megabytes.
const maxYAMLBytes = 256 << 20

// readYAMLMapping reads a YAML document whose top level must be a mapping
// and returns that mapping node.
func readYAMLMapping(file string, r io.Reader) (*yaml.Node, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxYAMLBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > maxYAMLBytes {
		return nil, invalidf("%s: larger than %d MiB", file, maxYAMLBytes>>20)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, invalidf("%s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, invalidf("%s: not a YAML mapping (a pack starts with title, creator, …)", file)
	}
	return doc.Content[0], nil
}

// field is one key of a YAML mapping with its value.
type field struct {
	key   string
	value *yaml.Node
}

// mappingFields returns the fields of a mapping node in order; duplicate
// keys are an error.
func mappingFields(n *yaml.Node) ([]field, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of fields, found %s", n.Line, kindName(n))
	}
	seen := map[string]bool{}
	out := make([]field, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: field names must be plain strings", k.Line)
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("line %d: field %q given twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		out = append(out, field{key: k.Value, value: n.Content[i+1]})
	}
	return out, nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// scalarStr returns the text of a scalar node.
func scalarStr(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value, found %s", kindName(n))
	}
	return strings.TrimSpace(n.Value), nil
}

// nonEmptyStr returns the text of a scalar node that must not be empty.
func nonEmptyStr(n *yaml.Node) (string, error) {
	s, err := scalarStr(n)
	if err == nil && s == "" {
		err = errors.New("must not be empty")
	}
	return s, err
}

// strList returns the texts of a list of scalars.
func strList(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list, found %s", kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := nonEmptyStr(c)
		if err != nil {
			return nil, fmt.Errorf("list item at line %d: %w", c.Line, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// boolValue returns the value of a boolean scalar.
func boolValue(n *yaml.Node) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, fmt.Errorf("want true or false, found %q", n.Value)
	}
	return b, nil
}
