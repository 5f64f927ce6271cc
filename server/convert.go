package server

import (
	"bytes"
	"context"
	"io"
	"time"

	"bilag/server/untrusted"
)

// converter converts TIFF scans to PNG.
type converter struct {
	wait time.Duration
	// hook, when set, runs at the start of each conversion (tests).
	hook func()
}

func newConverter(wait time.Duration) *converter {
	return &converter{wait: wait}
}

// convert writes the first page of tiff as PNG to w.
func (cv *converter) convert(ctx context.Context, w io.Writer, tiff []byte) error {
	if cv.hook != nil {
		cv.hook()
	}
	return untrusted.TIFFToPNG(w, bytes.NewReader(tiff))
}
