package server

import (
	"fmt"

	"github.com/labstack/echo/v4"
)

// offboardCompany offboards a company: the form beside "Active" on the
// company's edit page (admins only, confirmed by a tick; deactivating
// there only pauses it). connections.Service.Offboard does the work and
// audits it with the counts; the flash says what went.
func (s *Server) offboardCompany(c echo.Context) error {
	co, err := s.loadCompanyAdmin(c)
	if err != nil {
		return err
	}
	to := fmt.Sprintf("/admin/companies/%d", co.ID)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "admin.company.offboard.unconfirmed"), to)
	}
	by := auditBy(c)
	by.Target = co.Name
	r, err := s.conns.Offboard(c.Request().Context(), co.ID, by)
	if err != nil {
		return err
	}
	return s.flashTo(c, s.t(c, "admin.company.offboard.done", r.Ended, r.Revoked, r.Vouchers, r.Documents,
		r.InvoiceBodies, r.InvoicePDFs, r.Cached), to)
}
