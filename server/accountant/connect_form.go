package accountant

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
)

// The key form is the consent page of a connector granted by pasted keys
// (a connectors.CredentialConnector): the same link, the same lifecycle and
// the same approval as the redirect flow, with a form instead of a trip to
// the upstream.

const (
	// keyFieldMax bounds a pasted value. Keys and ids are far shorter; the
	// bound keeps a pasted document out of the upstream call.
	keyFieldMax = 500
	// keyTextMax bounds a multi-line value (a list of codes).
	keyTextMax = 20000
	// keySubmitsPerLink bounds the upstream calls one link may make in the
	// window of the portal's throttle (Portal.Throttle). Each submit is a signed call with the values typed,
	// so without a bound the form would answer guesses of a key.
	keySubmitsPerLink = 5
	// approverField is the key form's own field, beside the connector's:
	// who approves. Pasted keys name no person, and what a connector's
	// check can name is at most the API identifier.
	approverField = "approver_name"
	// approverMax bounds the approver's name: a person's name, shown in
	// lists, notifications and the audit trail.
	approverMax = 100
)

// keyFormPage is what the key form shows.
type keyFormPage struct {
	consentPage
	// System is the connector's name as people know it.
	System string
	Fields []keyField
	Max    int
	// Error is the catalogue key of what came of the last submit; Minutes
	// fills its %d when it has one.
	Error   string
	Minutes int
	// Approver is who approves, as typed (cleanName), once submitted.
	Approver string
}

// keyField is one input of the key form.
type keyField struct {
	Name, Label, Help string
	// Steps are where to find the value, folded under the field: the
	// form opens on its fields, not on the instructions.
	Steps  string
	Secret bool
	// Choices are the values of a list; ReadOnly shows Value from the
	// company record; Multiline is a text area of at most Max characters.
	Choices             []string
	ReadOnly, Multiline bool
	Checkbox            bool
	Optional            bool
	Max                 int
	// Autocomplete is the browser's hint for a field it can fill ("name").
	Autocomplete string
	// FoldStart marks the first optional field: from it on, the fields
	// are folded (readKeys puts the optional ones last).
	FoldStart bool
	// Value is what was typed, kept for fields that are not secret only.
	Value string
	// Error is the catalogue key of what is wrong with the value.
	Error string
}

// submitConnect is a link's POST: the pasted keys for a connector granted
// by them, "give permission" for every other.
func (h *Handler) submitConnect(c echo.Context) error {
	v, ok, err := h.openLink(c)
	if !ok || err != nil {
		return err
	}
	cc := h.keyConnector(v.Link)
	if cc == nil || v.Then {
		return h.startConsent(c, v)
	}
	page, values, sent := h.readKeys(c, cc, h.consentPage(v))
	switch {
	case !sent:
		// The result page's "try again" posts no field: show the form.
		return h.renderKeyForm(c, http.StatusOK, page)
	case !page.valid():
		page.Error = "err.form"
		return h.renderKeyForm(c, http.StatusUnprocessableEntity, page)
	}
	if ok, wait := h.portal.Throttle("l:"+strconv.FormatInt(v.Link.ID, 10), keySubmitsPerLink); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		page.Error, page.Minutes = "form.throttled", int((wait+time.Minute-1)/time.Minute)
		return h.renderKeyForm(c, http.StatusTooManyRequests, page)
	}
	return h.connectKeys(c, cc, v, page, values)
}

// connectKeys spends an attempt of v's link on values: one Connect, then
// the approval every grant goes through.
func (h *Handler) connectKeys(c echo.Context, cc connectors.CredentialConnector, v visit, page keyFormPage, values map[string]string) error {
	ctx := c.Request().Context()
	attempt := randomToken(32)
	err := h.links.StartLinkLogin(ctx, v.Link.ID, attempt)
	if err == nil {
		// The link as the attempt left it; its company and asker stay the visit's.
		v.Link, err = h.links.TakeLinkAttempt(ctx, v.Link.ID, attempt)
	}
	if isNotFound(err) {
		// Another submit took the link meanwhile, or it was revoked.
		page.Error = "form.busy"
		return h.renderKeyForm(c, http.StatusConflict, page)
	}
	if err != nil {
		return err
	}
	// The company lets a connector ask which private hosts its admin allowed.
	grant, err := cc.Connect(connectors.WithCompany(ctx, v.Link.CompanyID), values)
	if err != nil {
		reason, status, msg := keyFailure(err)
		var fe *connectors.FormError
		if errors.As(err, &fe) {
			reason, status, msg = "keys_refused", http.StatusUnprocessableEntity, cc.Name()+".form."+fe.Code
			page.markField(fe.Field, msg)
		}
		var rl *connectors.RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", retryAfterSeconds(rl))
		}
		h.conns.FailLinkBy(ctx, v.Link, reason, "", page.Approver, redact(err, page.secrets(values)), c.RealIP())
		page.Error = msg
		return h.renderKeyForm(c, status, page)
	}
	return h.approve(c, v, grant, page.Approver)
}

// keyConnector is the connector of l when that is granted by pasted keys,
// else nil: redirect connectors are the consent page's, exactly as before
// the form existed.
func (h *Handler) keyConnector(l *db.ConsentLink) connectors.CredentialConnector {
	conn := h.conns.Connector(l.Connector)
	if _, ok := conn.(connectors.RedirectConnector); ok {
		return nil
	}
	cc, _ := conn.(connectors.CredentialConnector)
	return cc
}

// readKeys builds the form of cc's fields from the request's POST body
// (never its query): the values, trimmed, with what is wrong with them, and
// whether any field was sent at all. A secret value goes into values only,
// never into the page. The approver's name, the form's own first field, is
// the page's, not the connector's.
func (h *Handler) readKeys(c echo.Context, cc connectors.CredentialConnector, p consentPage) (page keyFormPage, values map[string]string, sent bool) {
	page = keyFormPage{consentPage: p, System: h.views.ConnectorName(h.portal.Lang(c), cc.Name()), Max: keyFieldMax}
	values = map[string]string{}
	r := c.Request()
	who := keyField{Name: approverField, Label: h.t(c, "form.approver"), Help: h.t(c, "form.approver.help", p.Firm), Max: approverMax, Autocomplete: "name"}
	if r.Method == http.MethodPost {
		who.Value = cleanName(r.PostFormValue(approverField))
		sent = r.PostForm.Has(approverField)
		if who.Error = checkKeyValue(connectors.Field{Name: approverField}, who.Value, approverMax); who.Error == "err.toolong" {
			who.Value = ""
		}
		page.Approver = who.Value
	}
	page.Fields = append(page.Fields, who)
	for _, f := range cc.Fields() {
		kf := keyField{Name: f.Name, Label: h.fieldText(c, cc.Name()+".field."+f.Name, f.Label), Secret: f.Secret,
			Help: h.fieldText(c, cc.Name()+".field."+f.Name+".help", ""), Steps: h.fieldText(c, cc.Name()+".field."+f.Name+".steps", ""), Choices: f.Choices,
			ReadOnly: f.FromCompany, Multiline: f.Multiline, Checkbox: f.Checkbox, Optional: f.Optional, Max: keyFieldMax}
		if f.Multiline {
			kf.Max = keyTextMax
		}
		if f.FromCompany {
			// Never from the POST: the keys must reach this company.
			if p.Company != nil {
				kf.Value = p.Company.OrgNumber
			}
			values[f.Name] = kf.Value
			page.Fields = append(page.Fields, kf)
			continue
		}
		if r.Method == http.MethodPost {
			v := strings.TrimSpace(r.PostFormValue(f.Name))
			sent = sent || r.PostForm.Has(f.Name)
			kf.Error = checkKeyValue(f, v, kf.Max)
			if kf.Error == "err.toolong" {
				v = ""
			}
			values[f.Name] = v
			if !f.Secret {
				kf.Value = v
			}
		}
		page.Fields = append(page.Fields, kf)
	}
	if !sent {
		// Nothing was typed (a GET, or "try again"): nothing is wrong yet.
		for i := range page.Fields {
			page.Fields[i].Error = ""
		}
	}
	// The optional fields last, folded: the form opens on what it needs.
	slices.SortStableFunc(page.Fields, func(a, b keyField) int {
		switch {
		case a.Optional == b.Optional:
			return 0
		case a.Optional:
			return 1
		}
		return -1
	})
	if i := slices.IndexFunc(page.Fields, func(f keyField) bool { return f.Optional }); i >= 0 {
		page.Fields[i].FoldStart = true
	}
	return page, values, sent
}

// checkKeyValue is the catalogue key of what is wrong with v as f's value,
// "" when nothing is.
func checkKeyValue(f connectors.Field, v string, max int) string {
	switch {
	case v == "" && f.Optional:
		return ""
	case v == "":
		return "err.required"
	case utf8.RuneCountInString(v) > max:
		return "err.toolong"
	case f.Choices != nil && !slices.Contains(f.Choices, v):
		return "err.choice"
	case f.Checkbox && v != "yes":
		return "err.choice"
	}
	return ""
}

// cleanName is a typed name on one line: every run of spaces, tabs and
// line breaks one space, and no formatting characters (a bidirectional
// override would make the name read otherwise in a list than it is).
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// markField shows msg beside the field named name, when there is one.
func (p *keyFormPage) markField(name, msg string) {
	for i := range p.Fields {
		if name != "" && p.Fields[i].Name == name {
			p.Fields[i].Error = msg
		}
	}
}

// Folded reports whether the form has optional fields, folded last.
func (p keyFormPage) Folded() bool {
	return slices.ContainsFunc(p.Fields, func(f keyField) bool { return f.Optional })
}

// FoldOpen reports whether the optional fields show unfolded: one of them
// holds a value or an error.
func (p keyFormPage) FoldOpen() bool {
	return slices.ContainsFunc(p.Fields, func(f keyField) bool { return f.Optional && (f.Value != "" || f.Error != "") })
}

// Invalid are the fields with an error, for the summary a refused submit
// opens on.
func (p keyFormPage) Invalid() []keyField {
	var out []keyField
	for _, f := range p.Fields {
		if f.Error != "" {
			out = append(out, f)
		}
	}
	return out
}

func (p keyFormPage) valid() bool {
	for _, f := range p.Fields {
		if f.Error != "" {
			return false
		}
	}
	return true
}

// secrets are the values of the secret fields among values.
func (p keyFormPage) secrets(values map[string]string) []string {
	var out []string
	for _, f := range p.Fields {
		if f.Secret && values[f.Name] != "" {
			out = append(out, values[f.Name])
		}
	}
	return out
}

func (h *Handler) renderKeyForm(c echo.Context, status int, page keyFormPage) error {
	return h.render(c, status, "connect_form", h.t(c, "form.title", page.System), page)
}

// fieldText is the catalogue's text of key, or fallback when it has none
// (a connector's own Label until views has its words).
func (h *Handler) fieldText(c echo.Context, key, fallback string) string {
	if t := h.t(c, key); t != key {
		return t
	}
	return fallback
}

// keyFailure turns a Connect error into the reason recorded on the link,
// the status of the page and the catalogue key of what it says.
func keyFailure(err error) (reason string, status int, msg string) {
	switch {
	case errors.Is(err, connectors.ErrUnauthorized), errors.Is(err, connectors.ErrForbidden):
		return "keys_refused", http.StatusUnprocessableEntity, "form.refused"
	case errors.Is(err, connectors.ErrUnavailable), errors.Is(err, connectors.ErrRateLimited):
		return "upstream", http.StatusBadGateway, "form.unavailable"
	}
	return "connect_error", http.StatusBadGateway, "form.failed"
}

// redactedError is an error with secret values cut out of its text, for
// the log: a connector may quote what it sent in the error it returns.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

func redact(err error, secrets []string) error {
	msg := err.Error()
	for _, v := range secrets {
		msg = strings.ReplaceAll(msg, v, "[redacted]")
	}
	return redactedError{msg: msg, err: err}
}

func retryAfterSeconds(rl *connectors.RateLimitError) string {
	return strconv.Itoa(int((rl.RetryAfter + time.Second - 1) / time.Second))
}
