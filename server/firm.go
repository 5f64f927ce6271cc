package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"

	"github.com/labstack/echo/v4"
)

// firmInfo is who asks for access on the accountant's pages: the firm's
// logo, how to reach it and its privacy notice.
type firmInfo struct {
	Logo     []byte
	LogoType string
	// LogoURL is /firm/logo with the logo's hash, so the image may be
	// cached for a year and a new logo still shows at once; "" without one.
	LogoURL    string
	Contact    string
	PrivacyURL string
}

func newFirmInfo(opt Options) (firmInfo, error) {
	fi := firmInfo{Contact: opt.FirmContact, PrivacyURL: opt.FirmPrivacyURL}
	if len(opt.FirmLogo) > 0 {
		// config checks the bytes; a caller that bypasses it is checked here.
		if opt.FirmLogoType != "image/png" && opt.FirmLogoType != "image/jpeg" {
			return fi, fmt.Errorf("server: firm logo type %q: only image/png and image/jpeg are served", opt.FirmLogoType)
		}
		sum := sha256.Sum256(opt.FirmLogo)
		fi.Logo, fi.LogoType = opt.FirmLogo, opt.FirmLogoType
		fi.LogoURL = "/firm/logo?v=" + hex.EncodeToString(sum[:8])
	}
	return fi, nil
}

// serveFirmLogo serves the firm's logo: public (the consent page shows it
// before anyone logs in), never sniffed as anything but the image it was
// checked to be, and cached long (its URL changes with its bytes).
func (s *Server) serveFirmLogo(c echo.Context) error {
	fi := s.firmInfo
	if len(fi.Logo) == 0 {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Blob(http.StatusOK, fi.LogoType, fi.Logo)
}

// DemoLogo is demo mode's firm logo: a small PNG drawn here, so that the
// demo's consent page shows a logo without a file to ship.
func DemoLogo() []byte {
	const size = 64
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	bg := color.RGBA{0x1f, 0x5f, 0x8b, 0xff}
	fg := color.RGBA{0xff, 0xff, 0xff, 0xff}
	for y := range size {
		for x := range size {
			c := bg
			// A white "D" of bars and a bowl, legible at 32 px.
			dx, dy := x-30, y-32
			ring := dx*dx+dy*dy <= 20*20 && dx*dx+dy*dy >= 13*13 && x >= 30
			bar := (x >= 16 && x < 23 && y >= 12 && y < 52) || (x >= 16 && x < 30 && (y >= 12 && y < 19 || y >= 45 && y < 52))
			if ring || bar {
				c = fg
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding to memory cannot fail
	return buf.Bytes()
}
