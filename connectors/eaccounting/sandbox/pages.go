package sandbox

import (
	"bytes"
	"html/template"
	"net/http"
)

type pageData struct {
	Flow        string
	Users       []DemoUser
	Error       string
	Email       string
	UserName    string
	Companies   []DemoCompany
	ClientID    string
	CompanyName string
	OrgNumber   string
	Scopes      []string
	Code        string
	Description string
	Base        string
}

// The pages are plain server-rendered forms: they work without JavaScript
// and load nothing from outside, so they run on a machine with no network.
const pageTemplates = `
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Visma Online (sandbox)</title>
<style>
body{margin:0;font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f3f5f7;color:#252626}
header{background:#1b3f8b;color:#fff;padding:14px 28px;font-size:20px;font-weight:600;letter-spacing:.5px}
header small{font-weight:400;opacity:.75;font-size:13px;margin-left:12px}
main{max-width:520px;margin:40px auto;background:#fff;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.15);padding:28px 32px}
h1{font-size:22px;margin:0 0 18px}
label{display:block;margin:12px 0 4px;font-size:14px}
input[type=email],input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:9px;border:1px solid #bbb;border-radius:4px;font-size:15px}
button{background:#1b3f8b;color:#fff;border:0;border-radius:4px;padding:10px 18px;font-size:15px;cursor:pointer;margin-top:16px}
button.secondary{background:#fff;color:#1b3f8b;border:1px solid #1b3f8b}
.err{background:#fde8e8;color:#a11;padding:10px;border-radius:4px;margin-bottom:12px}
.demo{margin-top:28px;border-top:1px solid #ddd;padding-top:16px;font-size:13px}
.demo form{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #eee;padding:6px 0;gap:8px}
.demo button{margin:0;padding:5px 10px;font-size:13px}
.demo span{color:#666}
ul.scopes li{margin:6px 0}
.company{display:block;border:1px solid #ccc;border-radius:4px;padding:10px;margin:8px 0}
</style></head><body><header>VISMA<small>Visma Online · sandbox</small></header><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "login"}}{{template "head"}}
<h1>Log in</h1>
{{if .Error}}<div class="err">{{.Error}}</div>{{end}}
<form method="post" action="/connect/authorize/login">
<input type="hidden" name="flow" value="{{.Flow}}">
<label for="email">E-mail</label><input id="email" type="email" name="email" value="{{.Email}}" autocomplete="username" required>
<label for="password">Password</label><input id="password" type="password" name="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
<div class="demo"><strong>Demo users</strong> (this is a sandbox; passwords are shown on purpose)
{{range .Users}}<form method="post" action="/connect/authorize/login">
<input type="hidden" name="flow" value="{{$.Flow}}"><input type="hidden" name="email" value="{{.Email}}"><input type="hidden" name="password" value="{{.Password}}">
<div><b>{{.Name}}</b> · {{.Email}} / {{.Password}}<br><span>{{.Story}}</span></div>
<button type="submit">Log in as {{.Name}}</button></form>
{{end}}</div>
{{template "foot"}}{{end}}

{{define "picker"}}{{template "head"}}
<h1>Choose company</h1>
<p>{{.UserName}}, which company do you want to connect?</p>
{{if .Error}}<div class="err">{{.Error}}</div>{{end}}
<form method="post" action="/connect/authorize/company">
<input type="hidden" name="flow" value="{{.Flow}}">
{{range .Companies}}<label class="company"><input type="radio" name="company" value="{{.CompanyIdentifier}}" required> <b>{{.Name}}</b> ({{.OrgNumber}}){{if not .Active}} · inactive{{end}}</label>
{{end}}<button type="submit">Continue</button>
</form>
{{template "foot"}}{{end}}

{{define "consent"}}{{template "head"}}
<h1>Allow access?</h1>
<p>The application <b>{{.ClientID}}</b> asks for access to <b>{{.CompanyName}}</b> ({{.OrgNumber}}) as {{.UserName}}. It will be able to:</p>
<ul class="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/connect/authorize/consent">
<input type="hidden" name="flow" value="{{.Flow}}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
{{template "foot"}}{{end}}

{{define "error"}}{{template "head"}}
<h1>Something went wrong</h1>
<div class="err">{{.Error}}</div>
<p>{{.Description}}</p>
{{template "foot"}}{{end}}

{{define "home"}}{{template "head"}}
<h1>Visma eAccounting sandbox</h1>
<p>Identity server: <code>{{.Base}}/.well-known/openid-configuration</code><br>
API: <code>{{.Base}}/v2/</code></p>
<p>Start a login from the application, or open
<code>{{.Base}}/connect/authorize?client_id=…&amp;redirect_uri=…&amp;response_type=code&amp;scope=ea:api offline_access ea:accounting_readonly ea:purchase_readonly ea:sales_readonly&amp;state=…&amp;prompt=select_account&amp;acr_values=service:44643EB1-3F76-4C1C-A672-402AE8085934</code></p>
<div class="demo"><strong>Demo users</strong>
{{range .Users}}<p><b>{{.Name}}</b> · {{.Email}} / {{.Password}}<br><span>{{.Story}}</span></p>{{end}}</div>
{{template "foot"}}{{end}}
`

func (s *Sandbox) render(w http.ResponseWriter, status int, name string, d pageData) {
	// Parsed per call: the pages are few and rarely shown, and this keeps
	// the package free of package-level state.
	t := template.Must(template.New("pages").Parse(pageTemplates))
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, d); err != nil {
		s.cfg.logger.Error("sandbox: rendering page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Sandbox) errorPage(w http.ResponseWriter, status int, code, desc string) {
	s.render(w, status, "error", pageData{Error: code, Description: desc})
}

func (s *Sandbox) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", pageData{Base: s.baseURL(r), Users: demoUsers()})
}
