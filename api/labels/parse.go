package labels

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
)

// detectBytes is how much of a file DetectFormat looks at.
const detectBytes = 64 << 10

// ParseFile reads one label file in format f (FormatAuto to detect it).
// An ActorPack yields its actors and no Set.
func ParseFile(ctx context.Context, path string, f Format, opts Options) (*Set, *ActorPack, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, detectBytes)
	if f == FormatAuto || f == "" {
		head, _ := br.Peek(detectBytes) // a short file gives what it has
		if f, err = DetectFormat(path, head); err != nil {
			return nil, nil, err
		}
	}
	switch f {
	case FormatTagPack:
		s, err := ParseTagPack(ctx, path, br, opts)
		return s, nil, err
	case FormatActorPack:
		a, err := ParseActorPack(path, br)
		return nil, a, err
	case FormatOFAC:
		s, err := ParseOFAC(ctx, path, br, opts)
		return s, nil, err
	case FormatCSV:
		s, err := ParseCSV(ctx, path, br, opts)
		return s, nil, err
	case FormatSTIX:
		s, err := ParseSTIX(ctx, path, br, opts)
		return s, nil, err
	case FormatMISP:
		s, err := ParseMISP(ctx, path, br, opts)
		return s, nil, err
	}
	return nil, nil, fmt.Errorf("%s: unknown label format %q", path, f)
}

// DetectFile detects the format of the label file at path from its name
// and first bytes.
func DetectFile(path string) (Format, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	head, err := bufio.NewReaderSize(fh, detectBytes).Peek(detectBytes)
	if err != nil && len(head) == 0 && err != io.EOF {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return DetectFormat(path, head)
}
