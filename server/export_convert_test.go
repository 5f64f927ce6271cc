package server

import "time"

// SetConversion makes TIFF conversions wait at most wait for a free slot
// and run hook once they have one, before converting.
func (s *Server) SetConversion(wait time.Duration, hook func()) {
	s.convert.wait, s.convert.hook = wait, hook
}
