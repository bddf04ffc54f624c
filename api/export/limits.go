package export

import "fmt"

// Limits bound the graphs a writer accepts. Zero fields take the
// defaults.
type Limits struct {
	// MaxNodes and MaxEdges bound any export (default 200,000 and
	// 1,000,000).
	MaxNodes int
	MaxEdges int
	// MaxMaltegoEntities bounds a Maltego table (default 10,000): larger
	// tables are more than a Maltego graph is meant to hold.
	MaxMaltegoEntities int
}

func (l Limits) withDefaults() Limits {
	if l.MaxNodes <= 0 {
		l.MaxNodes = 200_000
	}
	if l.MaxEdges <= 0 {
		l.MaxEdges = 1_000_000
	}
	if l.MaxMaltegoEntities <= 0 {
		l.MaxMaltegoEntities = 10_000
	}
	return l
}

// TooLargeError says a graph is too large for a format or the configured
// limit. Nothing was written when it is returned.
type TooLargeError struct {
	Format Format
	What   string // "nodes", "edges" or "entities"
	Size   int
	Limit  int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("export %s: the graph has %d %s, more than the limit of %d; nothing was written (narrow the trace with fewer hops or raise the limit)",
		e.Format, e.Size, e.What, e.Limit)
}

// check returns a TooLargeError if g exceeds l for format f.
func (l Limits) check(f Format, g *Graph) error {
	l = l.withDefaults()
	if len(g.Nodes) > l.MaxNodes {
		return &TooLargeError{Format: f, What: "nodes", Size: len(g.Nodes), Limit: l.MaxNodes}
	}
	if len(g.Edges) > l.MaxEdges {
		return &TooLargeError{Format: f, What: "edges", Size: len(g.Edges), Limit: l.MaxEdges}
	}
	if f == FormatMaltego {
		if n := maltegoEntities(g); n > l.MaxMaltegoEntities {
			return &TooLargeError{Format: f, What: "entities", Size: n, Limit: l.MaxMaltegoEntities}
		}
	}
	return nil
}
