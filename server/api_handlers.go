package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/companystate"
)

// The JSON shapes of the API, as openapi.json documents them. Amounts are
// decimal strings in the company's currency with two decimals ("1234.50",
// "-12.00"), so no client loses an öre to floating point.

type apiCompany struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Country   string `json:"country"`
	OrgNumber string `json:"org_number"`
	// ConnectionStatus is a db.Conn* status, or "not_connected".
	ConnectionStatus string `json:"connection_status"`
	// State is where the company stands, in the pages' vocabulary
	// (companystate), and NeedsAction whether it waits for the firm.
	State       companystate.State `json:"state"`
	NeedsAction bool               `json:"needs_action"`
	// Connector names the system the connection reads, "" when none.
	Connector string `json:"connector,omitempty"`
}

type apiVoucher struct {
	ID           int64  `json:"id"`
	Number       string `json:"number"`
	Series       string `json:"series"`
	Date         string `json:"date"`
	FiscalYearID string `json:"fiscal_year_id"`
	Text         string `json:"text"`
	Amount       string `json:"amount"`
	Kind         string `json:"kind"`
	TypeName     string `json:"type_name"`
	HasDocuments bool   `json:"has_documents"`
}

type apiVoucherDetail struct {
	apiVoucher
	Rows      []apiRow      `json:"rows"`
	Documents []apiDocument `json:"documents"`
}

type apiRow struct {
	Account     string `json:"account"`
	AccountName string `json:"account_name"`
	Debit       string `json:"debit"`
	Credit      string `json:"credit"`
	Text        string `json:"text"`
}

type apiDocument struct {
	ID          int64  `json:"id"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	// Size and SHA256 are known once the document has been opened.
	Size        *int64  `json:"size"`
	SHA256      *string `json:"sha256"`
	DownloadURL string  `json:"download_url"`
	// InvoiceStatus and OpenSum are a customer invoice's, on its own
	// document: as the upstream said when the documents were listed.
	InvoiceStatus string  `json:"invoice_status,omitempty"`
	OpenSum       *string `json:"open_sum,omitempty"`
}

type apiVoucherList struct {
	Vouchers []apiVoucher `json:"vouchers"`
	Page     int          `json:"page"`
	Pages    int          `json:"pages"`
	PageSize int          `json:"page_size"`
	Total    int64        `json:"total"`
	// TotalIsLowerBound: counting stopped at db.CountCap; page on while
	// a page comes back full.
	TotalIsLowerBound bool `json:"total_is_lower_bound"`
}

// decimal writes minor units as a decimal string with two decimals.
func decimal(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

func toAPIVoucher(v *db.Voucher) apiVoucher {
	return apiVoucher{
		ID: v.ID, Number: v.Number, Series: v.Series, Date: v.Date.Format("2006-01-02"), FiscalYearID: v.FiscalYearID,
		Text: v.Text, Amount: decimal(v.Amount), Kind: v.Kind, TypeName: v.UpstreamType, HasDocuments: v.HasDocuments,
	}
}

func toAPIVouchers(vs []db.Voucher) []apiVoucher {
	out := make([]apiVoucher, len(vs))
	for i := range vs {
		out[i] = toAPIVoucher(&vs[i])
	}
	return out
}

func (s *Server) apiCompanies(c echo.Context) error {
	cs, conns, err := s.companiesWithConnection(c)
	if err != nil {
		return err
	}
	st, err := s.standings(c.Request().Context(), cs, conns)
	if err != nil {
		return err
	}
	out := make([]apiCompany, len(cs))
	for i, co := range cs {
		state := st.states[co.ID]
		out[i] = apiCompany{ID: co.ID, Name: co.Name, Country: co.Country, OrgNumber: co.OrgNumber, ConnectionStatus: "not_connected",
			State: state, NeedsAction: state.NeedsAction()}
		if conn := conns[co.ID]; conn != nil {
			out[i].ConnectionStatus, out[i].Connector = conn.Status, conn.Connector
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"companies": out})
}

// queryDate reads an optional YYYY-MM-DD parameter.
func queryDate(c echo.Context, name string) (time.Time, error) {
	t, err := parseDate(c.QueryParam(name))
	if err != nil {
		return time.Time{}, badParam(name)
	}
	return t, nil
}

// queryInt reads an optional integer parameter in [lo, hi].
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name)
	}
	return n, nil
}

// queryText reads an optional text parameter of at most max characters.
func queryText(c echo.Context, name string, max int) (string, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if utf8.RuneCountInString(v) > max || !utf8.ValidString(v) {
		return "", badParam(name)
	}
	return v, nil
}

// apiVoucherFilter reads the list filters. Unlike the page, the API
// refuses what it cannot read rather than ignoring it.
func apiVoucherFilter(c echo.Context) (f db.VoucherFilter, err error) {
	if f.FiscalYear, err = queryText(c, "fiscal_year", 64); err != nil {
		return f, err
	}
	if f.From, err = queryDate(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryDate(c, "to"); err != nil {
		return f, err
	}
	if f.Text, err = queryText(c, "text", 200); err != nil {
		return f, err
	}
	if f.Number, err = queryText(c, "number", 64); err != nil {
		return f, err
	}
	if v := c.QueryParam("has_documents"); v != "" {
		if f.HasDocuments, err = strconv.ParseBool(v); err != nil {
			return f, badParam("has_documents")
		}
	}
	if f.Page, err = queryInt(c, "page", 1, 1, 1_000_000); err != nil {
		return f, err
	}
	f.PageSize, err = queryInt(c, "page_size", 50, 1, 500)
	return f, err
}

func (s *Server) apiVouchers(c echo.Context) error {
	f, err := apiVoucherFilter(c)
	if err != nil {
		return err
	}
	if err := s.apiDimensionAndPayment(c, &f); err != nil {
		return err
	}
	list, err := s.db.Vouchers(c.Request().Context(), currentCompany(c).ID, f)
	if err != nil {
		return err
	}
	if f.Page > max(list.Pages, 1) && !list.Capped {
		// db.Vouchers shows the last page instead; a client paging until
		// an empty page must get one.
		list.Vouchers, list.Page = nil, f.Page
	}
	return c.JSON(http.StatusOK, apiVoucherList{Vouchers: toAPIVouchers(list.Vouchers), Page: list.Page, Pages: list.Pages, PageSize: f.PageSize, Total: list.Total, TotalIsLowerBound: list.Capped})
}

func (s *Server) apiLookupVouchers(c echo.Context) error {
	number, err := queryText(c, "number", 64)
	if err != nil || db.NumberKey(number) == "" {
		return badParam("number")
	}
	date, err := queryDate(c, "date")
	if err != nil {
		return err
	}
	fy, err := queryText(c, "fiscal_year", 64)
	if err != nil {
		return err
	}
	vs, err := s.db.LookupVouchers(c.Request().Context(), currentCompany(c).ID, number, date, fy)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return echo.ErrNotFound
	}
	return c.JSON(http.StatusOK, map[string]any{"vouchers": toAPIVouchers(vs)})
}

func (s *Server) apiVoucher(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	v, err := s.paramVoucher(c)
	if err != nil {
		return err
	}
	var p voucherPage
	if err := s.liveVoucher(ctx, co, v, &p); err != nil {
		return upstreamProblem(err)
	}
	out := apiVoucherDetail{apiVoucher: toAPIVoucher(v), Rows: make([]apiRow, len(p.Rows)), Documents: make([]apiDocument, len(p.Docs))}
	for i, r := range p.Rows {
		out.Rows[i] = apiRow{Account: r.Account, AccountName: r.AccountName, Debit: decimal(r.Debit), Credit: decimal(r.Credit), Text: r.Text}
	}
	for i, d := range p.Docs {
		doc := apiDocument{
			ID: d.ID, FileName: d.FileName, ContentType: d.ContentType, InvoiceStatus: d.InvoiceStatus,
			DownloadURL: s.absURL(fmt.Sprintf("/api/v1/companies/%d/vouchers/%d/documents/%d", co.ID, v.ID, d.ID)),
		}
		if d.Size > 0 {
			doc.Size = &d.Size
		}
		if d.OpenSum != nil {
			sum := decimal(*d.OpenSum)
			doc.OpenSum = &sum
		}
		if d.SHA256 != "" {
			doc.SHA256 = &d.SHA256
		}
		out.Documents[i] = doc
	}
	return c.JSON(http.StatusOK, out)
}

// apiDocument sends a document's bytes exactly as Visma keeps them, as an
// attachment (never rendered, never converted), with the untrusted-content
// headers and the SHA-256 trailer of the portal's document route.
func (s *Server) apiDocument(c echo.Context) error {
	v, doc, err := s.paramDocument(c)
	if err != nil {
		return err
	}
	co := currentCompany(c)
	d, err := s.conns.OpenDocument(c.Request().Context(), co.ID, doc)
	if err != nil {
		return upstreamProblem(err)
	}
	if err := s.serveDocument(c, co, v, doc, d, serveDownload); err != nil {
		return upstreamProblem(err)
	}
	return nil
}

// upstreamProblem says what a failed call to the upstream means to an API
// client. Every upstream failure is answered by handleError's table, as on
// the portal's pages; what is left is the company that was never
// connected.
func upstreamProblem(err error) error {
	if upstreamClass(err) == connectors.ClassNone && errors.Is(err, db.ErrNotFound) {
		// liveVoucher found no connection: the company was never connected.
		return &apiProblem{Status: http.StatusConflict, Code: "not_connected", Key: "vouchers.notconnected", Err: err}
	}
	return err
}
