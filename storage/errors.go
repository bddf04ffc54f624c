package storage

import "errors"

// ErrNotFound is returned when a looked-up block, transaction or address is
// not in the index.
var ErrNotFound = errors.New("storage: not found")

// ErrCorruption marks data on disk that does not decode as its table's
// format. Callers test for it with errors.Is.
var ErrCorruption = errors.New("storage: corrupt record")
