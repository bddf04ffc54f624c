package export

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format is an export format.
type Format string

// The formats Write produces.
const (
	FormatGraphML   Format = "graphml"
	FormatGEXF      Format = "gexf"
	FormatCytoscape Format = "cytoscape"
	FormatCSV       Format = "csv" // a zip of nodes.csv and edges.csv
	FormatANX       Format = "anx"
	FormatMaltego   Format = "maltego"
	FormatSTIX      Format = "stix"
	FormatMISP      Format = "misp"
)

// Formats returns every format, in the order help texts list them.
func Formats() []Format {
	return []Format{FormatGraphML, FormatGEXF, FormatCytoscape, FormatCSV, FormatANX, FormatMaltego, FormatSTIX, FormatMISP}
}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range Formats() {
		if f == x {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, x := range Formats() {
		names = append(names, string(x))
	}
	return "", fmt.Errorf("unknown export format %q (want %s)", s, strings.Join(names, ", "))
}

// MediaType returns the format's media type.
func (f Format) MediaType() string {
	switch f {
	case FormatGraphML, FormatGEXF, FormatANX:
		return "application/xml"
	case FormatCytoscape, FormatSTIX, FormatMISP:
		return "application/json"
	case FormatCSV:
		return "application/zip"
	case FormatMaltego:
		return "text/csv"
	}
	return "application/octet-stream"
}

// Binary says the format is not text (CSV comes as a zip of two files).
func (f Format) Binary() bool { return f == FormatCSV }

// Extension returns the usual file name extension, with its dot.
func (f Format) Extension() string {
	switch f {
	case FormatCytoscape:
		return ".cyjs"
	case FormatCSV:
		return ".zip"
	case FormatMaltego:
		return ".csv"
	case FormatSTIX, FormatMISP:
		return ".json"
	}
	return "." + string(f)
}

// Options configure a write.
type Options struct {
	Limits Limits
	// Now stamps the export (created and modified times of STIX objects,
	// the MISP event date); the zero time means the Unix epoch, so that an
	// export without it is reproducible.
	Now time.Time
	// Producer names who made the export, in formats that carry it
	// (default "spoor").
	Producer string
}

func (o Options) producer() string {
	if o.Producer == "" {
		return "spoor"
	}
	return o.Producer
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return o.Now.UTC()
}

// Write writes g to w in format f after checking its size. A graph over a
// limit returns a *TooLargeError before anything is written.
func Write(ctx context.Context, w io.Writer, f Format, g *Graph, opts Options) error {
	if err := opts.Limits.check(f, g); err != nil {
		return err
	}
	var err error
	switch f {
	case FormatGraphML:
		err = writeGraphML(ctx, w, g)
	case FormatGEXF:
		err = writeGEXF(ctx, w, g, opts)
	case FormatCytoscape:
		err = writeCytoscape(ctx, w, g)
	case FormatCSV:
		err = writeCSVZip(ctx, w, g)
	case FormatANX:
		err = writeANX(ctx, w, g)
	case FormatMaltego:
		err = writeMaltego(ctx, w, g)
	case FormatSTIX:
		err = writeSTIX(ctx, w, g, opts)
	case FormatMISP:
		err = writeMISP(ctx, w, g, opts)
	default:
		return fmt.Errorf("export: unknown format %q", f)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", f, err)
	}
	return nil
}

// every calls fn for i in 0..n-1, checking ctx every 1024 items.
func every(ctx context.Context, n int, fn func(i int) error) error {
	for i := 0; i < n; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

// labelText joins a node's labels as "entity (category)" lists.
func labelText(n *Node) string {
	parts := make([]string, 0, len(n.Labels))
	for _, t := range n.Labels {
		parts = append(parts, t.Entity+" ("+t.Category+")")
	}
	return strings.Join(parts, "; ")
}
