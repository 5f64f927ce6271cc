package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/evidence"
)

// Evidence packs (issue 29): those who manage the company start one and
// download it. Viewers do neither: the pack's index says who at the firm
// opened which document and when, which the company's audit trail keeps
// from viewers too, and the pack holds every document of the period.

// temporaryPacks is the packer of a server given none (tests): its files
// go to a temporary directory of this process.
func temporaryPacks(opt Options) (*evidence.Packer, error) {
	dir, err := os.MkdirTemp("", "bilag-evidence-")
	if err != nil {
		return nil, fmt.Errorf("server: evidence directory: %w", err)
	}
	return evidence.New(evidence.Options{DB: opt.DB, Upstream: evidence.ServiceUpstream{Service: opt.Connections}, Dir: dir, Now: opt.Now, Logger: opt.Logger})
}

// evidencePage is the company's packs and the form to start one.
type evidencePage struct {
	Company *db.Company
	Packs   []db.Pack
	Years   []db.FiscalYear
	// Month and Quarter are the form's suggestions: the last whole ones.
	Month, Quarter string
	Error          string
	TTLDays        int
}

// packPage is one pack's progress.
type packPage struct {
	Company *db.Company
	Pack    *db.Pack
	Period  string
}

func (s *Server) showEvidence(c echo.Context) error {
	co := currentCompany(c)
	p, err := s.evidenceOf(c, co)
	if err != nil {
		return err
	}
	return s.render(c, "evidence", s.t(c, "evidence.title", co.Name), p)
}

func (s *Server) evidenceOf(c echo.Context, co *db.Company) (evidencePage, error) {
	ctx := c.Request().Context()
	packs, err := s.db.Packs(ctx, co.ID, 20)
	if err != nil {
		return evidencePage{}, err
	}
	years, err := s.db.FiscalYears(ctx, co.ID)
	if err != nil {
		return evidencePage{}, err
	}
	last := time.Date(s.now().UTC().Year(), s.now().UTC().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	q := last.AddDate(0, -int(last.Month()-1)%3, 0)
	return evidencePage{Company: co, Packs: packs, Years: years, Month: last.Format("2006-01"),
		Quarter: fmt.Sprintf("%d-Q%d", q.Year(), (int(q.Month())+2)/3), TTLDays: int(s.packs.TTL() / (24 * time.Hour))}, nil
}

// startEvidence queues a pack of the period chosen; a period that cannot
// be read changes nothing and says so.
func (s *Server) startEvidence(c echo.Context) error {
	co := currentCompany(c)
	ctx := c.Request().Context()
	years, err := s.db.FiscalYears(ctx, co.ID)
	if err != nil {
		return err
	}
	kind := c.FormValue("kind")
	period, err := evidence.ParsePeriod(kind, c.FormValue(kind), years)
	if errors.Is(err, evidence.ErrBadPeriod) {
		return s.refuseEvidence(c, co, "evidence.error.period")
	}
	pk, err := s.packs.Start(ctx, co.ID, period, auditBy(c))
	if errors.Is(err, evidence.ErrNoOrgNumber) {
		return s.refuseEvidence(c, co, "evidence.error.orgnr")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, packURL(co.ID, pk.ID))
}

// refuseEvidence shows the form again with what is wrong; nothing changed.
func (s *Server) refuseEvidence(c echo.Context, co *db.Company, key string) error {
	p, err := s.evidenceOf(c, co)
	if err != nil {
		return err
	}
	p.Error = key
	return c.Render(http.StatusUnprocessableEntity, "evidence", s.page(c, s.t(c, "evidence.title", co.Name), p))
}

func packURL(companyID, packID int64) string {
	return fmt.Sprintf("/companies/%d/evidence/%d", companyID, packID)
}

// currentPack is the pack the route names, of the current company.
func (s *Server) currentPack(c echo.Context) (*db.Pack, error) {
	id, err := paramID(c, "packID")
	if err != nil {
		return nil, err
	}
	return s.db.Pack(c.Request().Context(), currentCompany(c).ID, id)
}

func (s *Server) showPack(c echo.Context) error {
	co := currentCompany(c)
	pk, err := s.currentPack(c)
	if err != nil {
		return err
	}
	period := evidence.PeriodOf(pk).String()
	return s.render(c, "evidence_pack", s.t(c, "evidence.pack.title", period), packPage{Company: co, Pack: pk, Period: period})
}

// retryPack queues a failed pack again; it continues from what it read.
func (s *Server) retryPack(c echo.Context) error {
	pk, err := s.currentPack(c)
	if err != nil {
		return err
	}
	if err := s.packs.Retry(c.Request().Context(), pk); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, packURL(pk.CompanyID, pk.ID))
}

// downloadPack streams a ready pack's ZIP, audited.
func (s *Server) downloadPack(c echo.Context) error {
	co := currentCompany(c)
	pk, err := s.currentPack(c)
	if err != nil {
		return err
	}
	f, err := s.packs.Open(pk)
	if err != nil {
		return err
	}
	defer f.Close()
	name := fmt.Sprintf("bilag-%s-%s.zip", safeFilePart(co.OrgNumber), safeFilePart(evidence.PeriodOf(pk).String()))
	h := c.Response().Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.FormatInt(pk.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	s.audit(c, db.AuditPackDownload, &co.ID, evidence.PeriodOf(pk).String()+" #"+strconv.FormatInt(pk.ID, 10), "bytes="+strconv.FormatInt(pk.Size, 10))
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), f)
	return ignoreWritten(c, err)
}

// safeFilePart keeps letters, digits and '-' of s for a download's name.
func safeFilePart(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-':
			out = append(out, r)
		default:
			out = append(out, '-')
		}
	}
	return string(out)
}
