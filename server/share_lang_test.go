package server_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/server/mail"
)

// portalFirm is the firm of a portal started without a firm name, as
// env.withMailer starts it.
const portalFirm = "Bilag"

// shareMsg is the text of the page's message in lang ("" when it has none).
func shareMsg(body, lang string) string {
	m := regexp.MustCompile(`(?s)<textarea id="msg-` + lang + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// expiryWords is how the approver of a company in zone reads t, in each
// language's own way of writing a date.
func expiryWords(lang string, t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	t = t.In(loc)
	months := map[string][]string{
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"sv": {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
		"da": {"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"},
		"nb": {"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"},
		"fi": {"tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"},
	}[lang][t.Month()-1]
	switch lang {
	case "da", "nb":
		return fmt.Sprintf("%d. %s %d kl. %s", t.Day(), months, t.Year(), t.Format("15.04 MST"))
	case "fi":
		return fmt.Sprintf("%d. %s %d klo %s", t.Day(), months, t.Year(), t.Format("15.04 MST"))
	}
	return fmt.Sprintf("%d %s %d %s", t.Day(), months, t.Year(), t.Format("15:04 MST"))
}

// TestShareMessageInCountryLanguage: the consent link's message on the
// company page and its e-mail speak the language of the company's country,
// with English beside it; a Danish, Norwegian or Finnish approver reads
// the firm's request in their own words, the company named as their
// language names it.
func TestShareMessageInCountryLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	analyst := demo.loggedIn(e.analyst)
	cases := []struct {
		country, lang, zone string
		co                  *db.Company
		// want: what the message in lang says, the company named.
		want    []string
		subject string
		// sign-off and phrases of the message in lang.
		until string
	}{
		{country: "SE", lang: "sv", zone: "Europe/Stockholm", co: e.fj,
			want:    []string{"Hej!", "Vi på " + portalFirm + " behöver läsbehörighet till Fjällbacka Snickeri AB:s bokföring i Visma eEkonomi", "Vänliga hälsningar\nAnders Analytiker"},
			subject: "Läsbehörighet till Fjällbacka Snickeri AB:s bokföring / Read access to Fjällbacka Snickeri AB's bookkeeping",
			until:   "Länken gäller till %s."},
		{country: "DK", lang: "da", zone: "Europe/Copenhagen", co: e.addCompanyIn("DK", "Skagen Tømrer ApS", "61126228", e.analyst),
			want:    []string{"Hej!", "Vi hos " + portalFirm + " har brug for læseadgang til Skagen Tømrer ApS' bogføring i Visma eAccounting (eEkonomi)", "log ind med en bruger, der har fuld adgang", "Venlig hilsen\nAnders Analytiker"},
			subject: "Læseadgang til Skagen Tømrer ApS' bogføring / Read access to Skagen Tømrer ApS's bookkeeping",
			until:   "Linket gælder indtil %s."},
		{country: "NO", lang: "nb", zone: "Europe/Oslo", co: e.addCompanyIn("NO", "Fjordsag AS", "923609016", e.analyst),
			want:    []string{"Hei!", "Vi i " + portalFirm + " trenger lesetilgang til Fjordsag AS' regnskap i Visma eAccounting (eEkonomi)", "logg inn med en bruker som har full tilgang", "Vennlig hilsen\nAnders Analytiker"},
			subject: "Lesetilgang til Fjordsag AS' regnskap / Read access to Fjordsag AS's bookkeeping",
			until:   "Lenken gjelder til %s."},
		{country: "FI", lang: "fi", zone: "Europe/Helsinki", co: e.addCompanyIn("FI", "Saimaan Puu Oy", "0112038-9", e.analyst),
			want:    []string{"Hei!", portalFirm + " pyytää lukuoikeutta alla mainitun yrityksen kirjanpitoon", "Yritys: Saimaan Puu Oy\n", "Ohjelmisto: Visma eAccounting (eEkonomi)\n", "Ystävällisin terveisin\nAnders Analytiker"},
			subject: "Lukuoikeus kirjanpitoon: Saimaan Puu Oy / Read access to Saimaan Puu Oy's bookkeeping",
			until:   "Linkki on voimassa %s asti."},
	}
	for _, tc := range cases {
		t.Run(tc.country, func(t *testing.T) {
			before := len(catcher.Messages())
			r := analyst.post("/companies/"+itoa(tc.co.ID)+"/links", url.Values{"approver_name": {"Anna"}, "approver_email": {"anna@example.test"}})
			page := analyst.follow(r)
			m := newLinkRe.FindStringSubmatch(page.Body)
			if m == nil {
				t.Fatalf("company page shows no link")
			}
			link := html.UnescapeString(m[1])
			until := fmt.Sprintf(tc.until, expiryWords(tc.lang, demo.linkOf(t, link).ExpiresAt, tc.zone))
			own, en := shareMsg(page.Body, tc.lang), shareMsg(page.Body, "en")
			for _, want := range append(tc.want, link, until) {
				if !strings.Contains(own, want) {
					t.Errorf("message in %s lacks %q:\n%s", tc.lang, want, own)
				}
			}
			if !regexp.MustCompile(`id="msg-` + tc.lang + `" class="share-msg" readonly rows="\d+" lang="` + tc.lang + `"`).MatchString(page.Body) {
				t.Errorf("the message in %s is not marked as %s", tc.lang, tc.lang)
			}
			if !strings.Contains(en, tc.co.Name+"'s bookkeeping") || !strings.Contains(en, link) {
				t.Errorf("English message beside it = %q", en)
			}
			if tc.lang != "sv" && shareMsg(page.Body, "sv") != "" {
				t.Errorf("a company in %s gets a Swedish message too", tc.country)
			}
			msgs := catcher.Messages()
			if len(msgs) != before+1 {
				t.Fatalf("caught %d new messages, want 1", len(msgs)-before)
			}
			got := msgs[0] // newest first
			if got.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", got.Subject, tc.subject)
			}
			if want := own + "\n\n---\n\n" + en; got.Text != want {
				t.Errorf("mail text = %q, want the message in %s with the English below: %q", got.Text, tc.lang, want)
			}
		})
	}
}

// TestShareMessageLanguagePicked: the analyst can show and send the message
// in any of the five languages, whatever the company's country: a Finnish
// company whose accountant reads Swedish gets it in Swedish.
func TestShareMessageLanguagePicked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	analyst := demo.loggedIn(e.analyst)
	co := e.addCompanyIn("FI", "Saimaan Puu Oy", "0112038-9", e.analyst)
	page := analyst.follow(analyst.post("/companies/"+itoa(co.ID)+"/links", url.Values{"message_lang": {"sv"}, "approver_email": {"anna@example.test"}}))
	if msg := shareMsg(page.Body, "sv"); !strings.Contains(msg, "Saimaan Puu Oys bokföring") {
		t.Errorf("after picking Swedish, the page's message = %q", msg)
	}
	if shareMsg(page.Body, "fi") != "" {
		t.Errorf("the Finnish message shows although Swedish was picked")
	}
	if msgs := catcher.Messages(); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Subject, "Läsbehörighet till Saimaan Puu Oys bokföring / ") {
		t.Fatalf("mail after picking Swedish = %+v", msgs)
	}
	// The choice offers the five languages, the company's own first chosen.
	plain := analyst.get("/companies/" + itoa(co.ID))
	for _, opt := range []string{`value="fi" selected`, `value="sv"`, `value="da"`, `value="nb"`, `value="en"`} {
		if !strings.Contains(plain.Body, `<option `+opt) {
			t.Errorf("the message's language choice lacks <option %s", opt)
		}
	}
	if shareMsg(plain.Body, "fi") == "" || shareMsg(plain.Body, "sv") != "" {
		t.Errorf("unpicked, the page does not show the Finnish message alone beside the English")
	}
	for _, lang := range []string{"da", "nb", "en"} {
		p := analyst.get("/companies/" + itoa(co.ID) + "?msg=" + lang)
		if shareMsg(p.Body, lang) == "" {
			t.Errorf("?msg=%s shows no message in %s", lang, lang)
		}
	}
	if p := analyst.get("/companies/" + itoa(co.ID) + "?msg=xx"); shareMsg(p.Body, "fi") == "" {
		t.Errorf("an unknown language does not fall back to the company's")
	}
	// Sending again from the page, in the language shown.
	l := e.linkOf(t, html.UnescapeString(newLinkRe.FindStringSubmatch(plain.Body)[1]))
	analyst.post("/companies/"+itoa(co.ID)+"/links/"+itoa(l.ID)+"/send", url.Values{"email": {"anna@example.test"}, "lang": {"nb"}})
	msgs := catcher.Messages()
	if len(msgs) != 2 {
		t.Fatalf("caught %d messages, want 2", len(msgs))
	}
	if m := msgs[0]; !strings.HasPrefix(m.Subject, "Lesetilgang til Saimaan Puu Oys regnskap / ") || !strings.HasPrefix(m.Text, "Hei!\n\nVi i ") || !strings.Contains(m.Text, "\n---\n\nHello!") {
		t.Errorf("mail sent in bokmål = %+v, want bokmål with the English below", m)
	}
}
