package netvisor

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"bilag/connectors"
)

// memoryStashLimit is the largest file stashed in memory; a larger one
// goes to a temporary file in StashDir.
const memoryStashLimit = 256 << 10

// stashOpened reads an opened file to its end at upstream speed, gives the
// organisation's turn back, and serves the file from the stash: Netvisor
// answers one request at a time per organisation, so a browser reading
// slowly (a phone on a train) would otherwise hold everyone's turn for as
// long as it reads. A body that holds no turn (a kept copy from Stash) is
// served as it is.
func (c *Connector) stashOpened(s *connectors.DocumentStream) (*connectors.DocumentStream, error) {
	fb, ok := s.Body.(*fileBody)
	if !ok {
		return s, nil
	}
	defer fb.Close()
	body, size, err := c.stash(fb)
	if err != nil {
		return nil, err
	}
	s.Body, s.Size = body, size
	return s, nil
}

// stash reads r to its end: into memory when it ends within
// memoryStashLimit, else on into a temporary file, so that memory stays
// bounded however large the file. A failure leaves no file behind.
func (c *Connector) stash(r io.Reader) (io.ReadCloser, int64, error) {
	var head bytes.Buffer
	n, err := head.ReadFrom(io.LimitReader(r, memoryStashLimit+1))
	if err != nil {
		return nil, 0, err
	}
	if n <= memoryStashLimit {
		return io.NopCloser(&head), n, nil
	}
	f, err := os.CreateTemp(c.cfg.StashDir, "netvisor-*.part")
	if err != nil {
		return nil, 0, fmt.Errorf("create stash file: %w", err)
	}
	t := &tempFile{f: f}
	// Unlinked at once where the system allows it (the open file stays
	// readable): a crash then leaves nothing behind either. Elsewhere
	// Close removes it.
	if os.Remove(f.Name()) != nil {
		t.name = f.Name()
	}
	size, err := io.Copy(stashWriter{f}, io.MultiReader(&head, r))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		t.Close()
		return nil, 0, err
	}
	return t, size, nil
}

// stashWriter tells a failure to write the stash file from one reading
// the answer.
type stashWriter struct{ f *os.File }

func (w stashWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("write stash file: %w", err)
	}
	return n, err
}

// tempFile is a file stashed on disk, removed on Close.
type tempFile struct {
	f *os.File
	// name is the file's while it is still in the directory.
	name string
	once sync.Once
	err  error
}

func (t *tempFile) Read(p []byte) (int, error) { return t.f.Read(p) }

func (t *tempFile) Close() error {
	t.once.Do(func() {
		t.err = t.f.Close()
		if t.name != "" {
			if err := os.Remove(t.name); err != nil && t.err == nil {
				t.err = fmt.Errorf("remove stash file: %w", err)
			}
		}
	})
	return t.err
}
