package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"bilag/db"
	"bilag/server/accountant"
)

// routes reads as a table: who may call what, with the check beside it.
func (s *Server) routes(acc *accountant.Handler) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = renderer{s.views}
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()

	e.Use(middleware.RequestID())
	e.Use(s.accessLog())
	e.Use(s.observeRequests)
	e.Use(middleware.Recover())
	e.Use(s.securityHeaders)
	// A batch of invoices through the API may be larger (api_invoices.go
	// bounds it itself, with the API's answer).
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "2M", Skipper: func(c echo.Context) bool {
		return c.Request().Method == http.MethodPost && c.Path() == "/api/v1/companies/:companyID/invoices"
	}}))
	e.Use(s.crossOrigin())
	e.Use(s.csrf())
	e.Use(s.loadSession)

	// Public.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/:version/*", s.serveStatic)
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, s.staticURL("img/favicon.svg"))
	})
	e.GET("/lang", s.switchLanguage)
	e.GET("/firm/logo", s.serveFirmLogo)
	e.GET("/login", s.showLogin)
	e.POST("/login", s.login)
	e.GET("/login/code", s.showLoginCode)
	e.POST("/login/code", s.loginCode)
	e.POST("/logout", s.logout)

	// The accountant's side (server/accountant): the link is the
	// credential, no portal login. /connect/:secret (the consent page or
	// the form for pasted keys), /oauth/:connector/callback and /check,
	// /connect-result.
	acc.Mount(e)

	// Logged-in users.
	// A client user reaches only their company's own pages (clientFence).
	u := e.Group("", s.requireUser, s.clientFence)
	u.GET("/", s.showDashboard)
	u.GET("/settings", s.showSettings)
	s.settingsRoutes(u)
	u.GET("/o/:orgnr/vouchers/lookup", s.lookupByOrg)
	u.GET("/notifications", s.showNotifications)
	u.POST("/links/bulk", s.bulkLinks, s.requireManager)
	// The header's "Go to voucher": across the companies the user may see.
	u.GET("/vouchers/go", s.goToVoucher)
	// The firm's statistics (statistics.go): an analyst's over their
	// companies; an admin's, over every company, under /admin.
	u.GET("/statistics", s.showStatistics, s.requireManager)
	u.GET("/statistics/:table", s.exportStatistics, s.requireManager)

	// Company-scoped: requireCompany answers 404 to anyone who may not see it.
	c := u.Group("/companies/:companyID", s.requireCompany)
	c.GET("", s.showCompany)
	c.GET("/links/status", s.linkStatus)
	c.GET("/vouchers", s.listVouchers)
	c.GET("/vouchers/lookup", s.lookupVoucher)
	c.GET("/vouchers/:voucherID", s.showVoucher)
	c.GET("/vouchers/:voucherID/documents/:docID", s.showDocument)
	c.GET("/vouchers/:voucherID/documents/:docID/view", s.viewDocument)
	c.GET("/sync/status", s.syncStatus)
	c.POST("/sync", s.audited(db.AuditSyncRequest, s.syncNow))
	// Missing documents (missing_docs.go): members read the list and its
	// CSV; those who manage the company set its rules.
	c.GET("/missing", s.showMissing)
	c.GET("/missing.csv", s.exportMissing)
	c.POST("/missing/rules", s.setMissingRules, s.requireManager)
	// Telling the company what is missing (missing_message.go), and where
	// to when it has no client users: its contact address (contact.go).
	c.POST("/missing/message", s.sendMissingMessage, s.requireManager)
	c.POST("/contact", s.setContact, s.requireManager)
	// Invoices sent into the company's books (invoice_orders.go): members
	// see the history, those who manage the company (admins and analysts)
	// upload and send; an admin lists the private hosts its connections
	// may reach (private_hosts.go).
	c.GET("/imports", s.showInvoiceOrders)
	c.GET("/imports/:batchID", s.showInvoiceOrderBatch)
	// A receiving system's pairing (pairing.go): members see it, and its
	// CSV ("/pairing/<connector>.csv"); those who manage the company
	// change it, by the form or a CSV.
	c.GET("/pairing/:connector", s.showPairing)
	c.GET("/hosts", s.showPrivateHosts, s.requireAdmin)
	c.POST("/hosts", s.setPrivateHosts, s.requireAdmin)
	// The API for front systems: integration tokens and whether their
	// batches are sent at once (integrations.go); admins.
	s.integrationRoutes(c)
	m := c.Group("", s.requireManager)
	// The audit trail is about colleagues (who read what, from where): for
	// those who manage the company's connection, not for viewers.
	m.GET("/audit", s.showAudit)
	m.GET("/audit.csv", s.exportAudit)
	// An approval's receipt, as its approver has it (issue 29), linked
	// from the audit trail: the accountant's side draws it.
	m.GET("/links/:linkID/receipt", func(c echo.Context) error {
		return acc.FirmReceipt(c, currentCompany(c).ID, c.Param("linkID"))
	})
	// Evidence packs (evidence.go): a period's bookkeeping and documents
	// in one ZIP, built in the background.
	m.GET("/evidence", s.showEvidence)
	m.POST("/evidence", s.startEvidence)
	m.GET("/evidence/:packID", s.showPack)
	m.POST("/evidence/:packID/retry", s.retryPack)
	m.GET("/evidence/:packID/download", s.downloadPack)
	m.POST("/links", s.createLink)
	m.POST("/links/:linkID/revoke", s.revokeLink)
	m.POST("/links/:linkID/send", s.sendLink)
	m.POST("/connection/disconnect", s.disconnect)
	// One harmless call per capability, a verdict in words (testconn.go).
	m.POST("/connection/test", s.testConnection)
	m.GET("/imports/template.csv", s.invoiceOrderTemplate)
	m.GET("/imports/invoices.csv", s.invoiceTemplate)
	m.GET("/imports/invoices.json", s.invoiceTemplate)
	m.GET("/imports/demo.json", s.demoInvoices)
	m.POST("/imports", s.uploadInvoiceOrders)
	m.POST("/imports/:batchID/send", s.sendInvoiceOrders)
	// An action on an invoice sent (netvisor_invoices.go): the confirm
	// page, then, confirmed, the action.
	m.POST("/imports/:batchID/orders/:orderID/act", s.actOnInvoice)
	// An action on a record beside a voucher (records.go: an order
	// delivered or billed): the confirm page, then, confirmed, the action.
	m.POST("/vouchers/:voucherID/documents/:docID/act", s.actOnRecord)
	m.POST("/imports/disconnect", s.disconnectInvoiceOrders)
	m.POST("/pairing/:connector", s.savePairing)
	m.POST("/pairing/:connector/import", s.importPairing)
	// Client users (clients.go): their own page and the withdrawal of
	// Bilag's access; the firm's invitations; the invitation's page.
	s.clientRoutes(e, c, m)

	// Administrators.
	a := u.Group("/admin", s.requireAdmin)
	a.GET("/users", s.listUsers)
	a.GET("/users/new", s.newUser)
	a.POST("/users", s.createUser)
	a.GET("/users/:userID", s.editUser)
	a.POST("/users/:userID", s.updateUser)
	a.POST("/users/:userID/reset-password", s.resetPassword)
	a.POST("/users/:userID/second-factor/reset", s.resetSecondFactor)
	// A viewer of exactly one company becomes its client user (makeclient.go).
	a.POST("/users/:userID/client", s.makeClient)
	a.GET("/companies", s.listCompanies)
	a.GET("/companies/new", s.newCompany)
	a.GET("/companies/import", s.showCompanyImport)
	a.POST("/companies/import", s.previewCompanyImport)
	a.POST("/companies/import/confirm", s.confirmCompanyImport)
	a.POST("/companies", s.createCompany)
	a.GET("/companies/:companyID", s.editCompany)
	a.POST("/companies/:companyID", s.updateCompany)
	a.POST("/companies/:companyID/offboard", s.offboardCompany)
	a.GET("/mail", s.showMail)
	a.GET("/statistics", s.showStatistics)
	a.GET("/statistics/:table", s.exportStatistics)
	// Sync all (syncall.go): one firm-wide run at a time, across instances.
	a.GET("/sync-all", s.showSyncAll)
	a.POST("/sync-all", s.startSyncAll)

	// The JSON API: personal API tokens, never cookies.
	s.apiRoutes(e.Group("/api/v1"))

	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	return e
}
