package server_test

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	entsandbox "bilag/connectors/enterprise/sandbox"
	"bilag/connectors/netvisor"
)

var (
	detailsRe = regexp.MustCompile(`(?s)<details\b.*?</details>`)
	summaryRe = regexp.MustCompile(`(?s)<div ([^>]*id="form-errors"[^>]*)>(.*?)</div>`)
	anchorRe  = regexp.MustCompile(`href="#([^"]+)"`)
)

// aboveFirstField is the text a phone shows of r's page before the key
// form's first field: from the page's article on, folded <details> left
// out, spaces collapsed.
func aboveFirstField(t *testing.T, r *response) string {
	t.Helper()
	body := r.Body
	start, field := strings.Index(body, "<article"), strings.Index(body, `id="f-`)
	if start < 0 || field < start {
		t.Fatalf("no key form field in the page")
	}
	shown := detailsRe.ReplaceAllString(body[start:field], "")
	return strings.Join(strings.Fields((&response{Body: shown}).Text()), " ")
}

// wantFolded fails unless every occurrence of each of texts in r is
// inside a <details>: shown once asked for, not on the way to the fields.
func wantFolded(t *testing.T, what string, r *response, texts ...string) {
	t.Helper()
	spans := detailsRe.FindAllStringIndex(r.Body, -1)
	for _, s := range texts {
		s = template.HTMLEscapeString(s)
		found := false
		for rest, at := r.Body, 0; ; {
			i := strings.Index(rest, s)
			if i < 0 {
				break
			}
			found = true
			pos := at + i
			in := false
			for _, sp := range spans {
				in = in || sp[0] <= pos && pos < sp[1]
			}
			if !in {
				t.Errorf("%s shows %q unfolded", what, s)
				break
			}
			rest, at = rest[i+len(s):], pos+len(s)
		}
		if !found {
			t.Errorf("%s does not have %q at all", what, s)
		}
	}
}

// wantErrorSummary fails unless r, a refused submit, opens on a summary
// of what is wrong (an alert the browser focuses, before the form) that
// links to each field named in fields, each link reaching its field.
func wantErrorSummary(t *testing.T, what string, r *response, fields ...string) {
	t.Helper()
	m := summaryRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s has no error summary (id form-errors)", what)
	}
	attrs, inner := m[1], m[2]
	for _, a := range []string{`role="alert"`, `tabindex="-1"`, `autofocus`} {
		if !strings.Contains(attrs, a) {
			t.Errorf("%s's error summary lacks %s: <div %s>", what, a, attrs)
		}
	}
	if strings.Index(r.Body, `id="form-errors"`) > strings.Index(r.Body, `<form method="post"`) {
		t.Errorf("%s's error summary comes after the form", what)
	}
	var linked []string
	for _, a := range anchorRe.FindAllStringSubmatch(inner, -1) {
		linked = append(linked, a[1])
		if !strings.Contains(r.Body, `id="`+a[1]+`"`) {
			t.Errorf("%s's error summary links to #%s, which is on no field", what, a[1])
		}
	}
	for _, f := range fields {
		if !strings.Contains(strings.Join(linked, " "), "f-"+f) {
			t.Errorf("%s's error summary does not link to the field %s (links: %v)", what, f, linked)
		}
	}
}

// TestKeyFormsFieldsFirst (issue 25, item 11): the Netvisor and Enterprise
// key forms open on their fields, with the steps of where to find each
// value and what to set up folded below them; a refused submit opens on a
// summary of what is wrong, linked to the fields.
func TestKeyFormsFieldsFirst(t *testing.T) {
	t.Parallel()
	const maxAbove = 600 // characters above the first field: a phone's first screen
	t.Run("netvisor", func(t *testing.T) {
		e := newNetvisorEnv(t)
		host := e.svc.Connector("netvisor").(*netvisor.Connector).Hosts()[0]
		link := e.loggedIn(e.analyst).createLink(e.co, "")
		acc := e.browser()
		page := acc.get(link)
		wantStatus(t, "key form", page, http.StatusOK)
		if above := aboveFirstField(t, page); utf8.RuneCountInString(above) > maxAbove {
			t.Errorf("the Netvisor key form has %d characters above its first field, want at most %d:\n%s", utf8.RuneCountInString(above), maxAbove, above)
		}
		wantFolded(t, "the Netvisor key form", page, "Create new API identifier", "accountingledger.nv", tr("form.duration.title"))

		r := acc.post(link, url.Values{netvisor.FieldHost: {host}, "approver_name": {"Aino Virtanen"}})
		wantStatus(t, "empty keys", r, http.StatusUnprocessableEntity)
		wantErrorSummary(t, "empty keys", r, netvisor.FieldCustomerID, netvisor.FieldCustomerKey)
		wrong := nvKeys("BILAG-DEMO-USER", "not-the-key")
		wrong.Set(netvisor.FieldHost, host)
		r = acc.post(link, wrong)
		wantStatus(t, "wrong keys", r, http.StatusUnprocessableEntity)
		wantErrorSummary(t, "wrong keys", r)
		wantText(t, "wrong keys", r, tr("netvisor.form.keys"))
	})
	t.Run("enterprise", func(t *testing.T) {
		e, _, root := withEnterprise(t)
		link := e.loggedIn(e.analyst).createLink(e.fj, "")
		acc := e.browser()
		page := acc.get(link)
		wantStatus(t, "key form", page, http.StatusOK)
		if above := aboveFirstField(t, page); utf8.RuneCountInString(above) > maxAbove {
			t.Errorf("the Enterprise key form has %d characters above its first field, want at most %d:\n%s", utf8.RuneCountInString(above), maxAbove, above)
		}
		wantFolded(t, "the Enterprise key form", page, tr("enterprise.keyform.user.intro"), "Fakturering: INSERT", tr("enterprise.keyform.network.body"))

		r := acc.post(link, url.Values{"url": {"http://" + strings.TrimPrefix(root, "https://")}, "user": {entsandbox.DefaultUser}, "company": {"1"},
			"system": {"WS"}, "approver_name": {"Kari Nordmann"}})
		wantStatus(t, "missing password and box", r, http.StatusUnprocessableEntity)
		wantErrorSummary(t, "missing password and box", r, "password", "confirm")
	})
}
