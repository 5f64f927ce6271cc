package main

import (
	"context"
	"errors"
	"flag"
	"io"
)

func syncCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := fs.Bool("all", false, "sync every active connection once and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*all {
		return errors.New("say --all")
	}
	return errors.New("sync is not built yet")
}
