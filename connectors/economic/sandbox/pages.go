package sandbox

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

const sessionCookie = "economic_sandbox_session"

type pageData struct {
	Action     string
	Error      string
	App        App
	UserName   string
	Agreements []pageAgreement
	Users      []DemoUser
	Da         bool
	Base       string
}

type pageAgreement struct {
	Number int64
	Name   string
	Role   string
}

// The page is a plain server-rendered form: no script, nothing loaded from
// outside, so it runs on a machine without a network. It is parsed on
// first use, not when the program starts.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="{{if .Da}}da{{else}}en{{end}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>e-conomic (sandbox)</title>
<style>body{margin:0;font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f4f6f8;color:#222}
header{background:#0b6e4f;color:#fff;padding:14px 24px;font-weight:600}header small{font-weight:400;opacity:.8;margin-left:10px}
main{max-width:520px;margin:28px auto;background:#fff;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.15);padding:22px 26px}
label{display:block;margin:10px 0 4px}input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:9px;font-size:16px}
button{background:#0b6e4f;color:#fff;border:0;border-radius:4px;padding:10px 16px;font-size:16px;margin:14px 8px 0 0}
button.secondary{background:#fff;color:#0b6e4f;border:1px solid #0b6e4f}.err{background:#fde8e8;color:#a11;padding:10px}
.ag{display:block;border:1px solid #ccc;border-radius:4px;padding:10px;margin:8px 0}.demo{font-size:13px;margin-top:22px;border-top:1px solid #ddd}
.demo li{margin:4px 0}</style></head><body><header>e-conomic<small>sandbox</small></header><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}
{{define "login"}}{{template "head" .}}
<h1>{{if .Da}}Log ind{{else}}Log in{{end}}</h1>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}"><input type="hidden" name="action" value="login">
<label for="email">E-mail</label><input id="email" type="email" name="email" autocomplete="username" required>
<label for="password">{{if .Da}}Adgangskode{{else}}Password{{end}}</label><input id="password" type="password" name="password" autocomplete="current-password" required>
<button type="submit">{{if .Da}}Log ind{{else}}Log in{{end}}</button></form>
<div class="demo"><p><strong>Demo users</strong> (a sandbox: the passwords are shown on purpose)</p><ul>
{{range .Users}}<li><code>{{.Email}}</code> / <code>{{.Password}}</code>: {{.About}}</li>{{end}}</ul></div>
{{template "foot"}}{{end}}
{{define "grant"}}{{template "head" .}}
<h1>{{if .Da}}Giv adgang til {{.App.Name}}{{else}}Grant access to {{.App.Name}}{{end}}</h1>
<p>{{if .Da}}Logget ind som{{else}}Logged in as{{end}} <strong>{{.UserName}}</strong>.</p>
<p>{{if .Da}}Appen får rollen{{else}}The app gets the role{{end}} <strong>{{.App.Role}}</strong>.</p>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
{{if .Agreements}}<p>{{if .Da}}Administrér aftale:{{else}}Administer agreement:{{end}}</p>
{{range $i, $a := .Agreements}}<label class="ag"><input type="radio" name="agreement" value="{{$a.Number}}"{{if eq $i 0}} checked{{end}}> {{$a.Name}} ({{$a.Number}}) · {{$a.Role}}</label>{{end}}
<button type="submit" name="action" value="approve">{{if .Da}}Tilføj app{{else}}Add app{{end}}</button>
{{else}}<p class="err">{{if .Da}}Du har ingen aftaler.{{else}}You have no agreements.{{end}}</p>{{end}}
<button type="submit" name="action" value="decline" class="secondary">{{if .Da}}Afvis{{else}}Decline{{end}}</button>
<button type="submit" name="action" value="logout" class="secondary">{{if .Da}}Log ud{{else}}Log out{{end}}</button>
</form>{{template "foot"}}{{end}}
{{define "error"}}{{template "head" .}}<h1>Error</h1><p class="err">{{.Error}}</p>{{template "foot"}}{{end}}
{{define "home"}}{{template "head" .}}<h1>e-conomic sandbox</h1>
<p>REST API at <code>{{.Base}}</code>, Documents API at <code>{{.Base}}/documentsapi/v4.0.1</code>, grant page at <code>{{.Base}}/secure/api1/requestaccess.aspx</code>. The tokens <code>demo</code>/<code>demo</code> read the demo agreement (GET only).</p>
<div class="demo"><p><strong>Demo users</strong></p><ul>{{range .Users}}<li><code>{{.Email}}</code> / <code>{{.Password}}</code>: {{.About}}</li>{{end}}</ul></div>
{{template "foot"}}{{end}}
`))
})

func (s *Sandbox) render(w http.ResponseWriter, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pages().ExecuteTemplate(w, name, d)
}

func (s *Sandbox) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", pageData{Users: DemoUsers(), Base: s.base(r)})
}

// grantRequest reads and checks requestaccess.aspx's query.
func (s *Sandbox) grantRequest(r *http.Request) (pageData, *url.URL, string) {
	q := r.URL.Query()
	d := pageData{Da: strings.HasPrefix(q.Get("locale"), "da"), Users: DemoUsers(),
		Action: s.base(r) + "/secure/api1/requestaccess.aspx?" + r.URL.RawQuery}
	s.mu.Lock()
	app, ok := s.app(q.Get("appPublicToken"))
	s.mu.Unlock()
	if !ok {
		return d, nil, "Unknown appPublicToken."
	}
	d.App = app
	ru, err := url.Parse(q.Get("redirectUrl"))
	if err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "" {
		return d, nil, "redirectUrl is not an absolute URL."
	}
	return d, ru, ""
}

func (s *Sandbox) sessionUser(r *http.Request) *user {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world.user(s.sessions[ck.Value])
}

func (s *Sandbox) grantPage(w http.ResponseWriter, r *http.Request) {
	d, _, problem := s.grantRequest(r)
	if problem != "" {
		d.Error = problem
		s.render(w, http.StatusBadRequest, "error", d)
		return
	}
	u := s.sessionUser(r)
	if u == nil {
		s.render(w, http.StatusOK, "login", d)
		return
	}
	s.renderGrant(w, d, u)
}

func (s *Sandbox) renderGrant(w http.ResponseWriter, d pageData, u *user) {
	d.UserName = u.name
	for _, a := range s.world.agreements {
		if role := u.roles[a.Number]; role != "" {
			d.Agreements = append(d.Agreements, pageAgreement{Number: a.Number, Name: a.Name, Role: role})
		}
	}
	s.render(w, http.StatusOK, "grant", d)
}

func (s *Sandbox) grantPost(w http.ResponseWriter, r *http.Request) {
	d, ru, problem := s.grantRequest(r)
	if problem != "" {
		d.Error = problem
		s.render(w, http.StatusBadRequest, "error", d)
		return
	}
	switch r.PostFormValue("action") {
	case "login":
		s.mu.Lock()
		u := s.world.user(strings.TrimSpace(strings.ToLower(r.PostFormValue("email"))))
		ok := u != nil && u.password == r.PostFormValue("password")
		var sid string
		if ok {
			sid = randomToken()
			s.sessions[sid] = u.email
		}
		s.mu.Unlock()
		if !ok {
			d.Error = "Wrong e-mail or password."
			s.render(w, http.StatusOK, "login", d)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, d.Action, http.StatusSeeOther)
		return
	case "logout":
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
		http.Redirect(w, r, d.Action, http.StatusSeeOther)
		return
	case "decline":
		// Not documented: a declined grant sends the browser back without
		// a token.
		http.Redirect(w, r, ru.String(), http.StatusSeeOther)
		return
	}
	u := s.sessionUser(r)
	if u == nil {
		s.render(w, http.StatusOK, "login", d)
		return
	}
	n, _ := strconv.ParseInt(r.PostFormValue("agreement"), 10, 64)
	s.mu.Lock()
	if u.roles[n] == "" {
		s.mu.Unlock()
		d.Error = "Choose an agreement you administer."
		s.renderGrant(w, d, u)
		return
	}
	tok := s.mintLocked(d.App, u, n)
	s.mu.Unlock()
	// The redirect URL keeps its own query; token is appended to it.
	q := ru.Query()
	q.Set("token", tok)
	ru.RawQuery = q.Encode()
	http.Redirect(w, r, ru.String(), http.StatusSeeOther)
}
