package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"

	"github.com/spoorhq/spoor/api/audit"
)

// auditCLI appends one entry for a command-line operation to the data
// directory's audit log: what was asked (detail), by which local user, and
// how big the answer was. The server audits its own requests; this covers
// what is done on the machine itself, such as label imports, traces and
// screenings from the command line.
func auditCLI(ctx context.Context, cfg Config, op string, detail map[string]any, resultBytes int64) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	who := "cli"
	if u, err := user.Current(); err == nil {
		who = "cli:" + u.Username
	}
	log, err := audit.Open(auditDir(cfg.DataDir), nil)
	if err != nil {
		return err
	}
	_, err = log.Append(ctx, audit.Entry{KeyID: who, Role: "local", Operation: op, Detail: string(d),
		ResultBytes: resultBytes, Status: audit.StatusOK})
	if cerr := log.Close(); err == nil {
		err = cerr
	}
	return err
}

// auditResult audits a command-line query with the size of its result as
// JSON, the size the server would record for the same answer.
func auditResult(ctx context.Context, cfg Config, op string, detail map[string]any, result any) error {
	b, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := auditCLI(ctx, cfg, "cli."+op, detail, int64(len(b))); err != nil {
		return fmt.Errorf("%s done, but the audit log failed (the result is withheld): %w", op, err)
	}
	return nil
}
