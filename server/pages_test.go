package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var (
	filterFoldRe = regexp.MustCompile(`<details class="filterbox"( open)?>\s*<summary>([^<]*)</summary>`)
	menuRe       = regexp.MustCompile(`(?s)<details class="menu">\s*<summary>([^<]*)</summary>(.*?)</details>`)
)

// TestVoucherFiltersFold (issue 25 item 7): the list's filters are one
// fold whose summary counts the filters in force, open when there are
// any (an order is no filter); the header's languages and log-out are in
// a menu for a person logged in, and as they were on the login page.
func TestVoucherFiltersFold(t *testing.T) {
	e := newEnv(t)
	e.indexVouchers(e.fj)
	b := e.loggedIn(e.viewer)
	list := fmt.Sprintf("/companies/%d/vouchers", e.fj.ID)
	tests := []struct {
		query   string
		status  int
		summary string
		open    bool
	}{
		{"", http.StatusOK, "Filter", false},
		{"?sort=amount&dir=asc", http.StatusOK, "Filter", false},
		{"?has_documents=1&amount=12500", http.StatusOK, "Filter (2)", true},
		{"?number=A1&text=Hyra&fiscal_year=fy-2023&from=2023-01-01&to=2023-12-31&amount=12500&has_documents=1", http.StatusOK, "Filter (7)", true},
		// A mistake is shown where the person can see it.
		{"?from=2024-06-01&to=2024-01-01", http.StatusUnprocessableEntity, "Filter (2)", true},
	}
	for _, tt := range tests {
		r := b.get(list + tt.query)
		wantStatus(t, tt.query, r, tt.status)
		m := filterFoldRe.FindStringSubmatch(r.Body)
		if m == nil {
			t.Errorf("%q: the filters are not in a fold", tt.query)
			continue
		}
		if got := strings.TrimSpace(m[2]); got != tt.summary || (m[1] != "") != tt.open {
			t.Errorf("%q: fold %q, open %v; want %q, open %v", tt.query, got, m[1] != "", tt.summary, tt.open)
		}
	}

	r := b.get(list)
	m := menuRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the header has no menu")
	}
	if strings.TrimSpace(m[1]) != "Menu" || !strings.Contains(m[2], `action="/logout"`) || !strings.Contains(m[2], `lang="sv"`) {
		t.Errorf("the header's menu is %q and holds:\n%s\nwant Menu with the languages and Log out", m[1], m[2])
	}
	login := e.browser().get("/login")
	if menuRe.MatchString(login.Body) || !strings.Contains(login.Body, `lang="sv"`) {
		t.Error("the login page folds its languages")
	}
}
