package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"bilag/db"
	"bilag/server/connections"
)

// syncCmd is the scheduled-job form of syncing: every active connection
// once, a line per company and a summary.
func syncCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := fs.Bool("all", false, "sync every active connection once and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*all {
		return errors.New("usage: bilag sync --all")
	}
	a, err := openApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.db.Close()
	conns, _, err := a.connections(nil)
	if err != nil {
		return err
	}
	defer conns.Close()
	var ok, failed, busy, vouchers int
	err = conns.SyncAll(ctx, connections.SyncAllBy{Trigger: db.SyncAllCLI, By: "bilag sync --all"}, func(co *db.Company, res connections.SyncResult, err error) {
		kind := "incremental"
		if res.Full {
			kind = "full"
		}
		switch {
		case errors.Is(err, connections.ErrSyncRunning):
			busy++
			fmt.Fprintf(stdout, "%-40s %-14s skipped: another instance is syncing it\n", co.Name, co.OrgNumber)
		case err != nil:
			failed++
			fmt.Fprintf(stdout, "%-40s %-14s FAILED (%s): %v\n", co.Name, co.OrgNumber, kind, err)
		default:
			ok++
			vouchers += res.Upserted
			fmt.Fprintf(stdout, "%-40s %-14s ok (%s): %d vouchers updated\n", co.Name, co.OrgNumber, kind, res.Upserted)
		}
	})
	if errors.Is(err, connections.ErrSyncAllRunning) {
		return errors.New("a firm-wide sync is already running (started from the portal, the schedule or another bilag sync --all)")
	}
	fmt.Fprintf(stdout, "synced %d companies, %d failed, %d skipped; %d vouchers updated\n", ok, failed, busy, vouchers)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d syncs failed", failed, ok+failed+busy)
	}
	return nil
}
