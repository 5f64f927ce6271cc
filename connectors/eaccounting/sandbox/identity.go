package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The ACR value Visma's guides send so that only eAccounting companies are
// offered in the picker.
const eaccountingServiceACR = "service:44643EB1-3F76-4C1C-A672-402AE8085934"

// scopeWords are the scopes a client may ask for, with the words the consent
// screen shows for each.
func scopeWords() map[string]string {
	return map[string]string{
		"ea:api":                 "Use the Visma eAccounting API on your behalf",
		"offline_access":         "Keep access when you are not logged in",
		"ea:accounting":          "Read and change bookkeeping: vouchers, accounts, fiscal years and attachments",
		"ea:accounting_readonly": "Read bookkeeping: vouchers, accounts, fiscal years and attachments",
		"ea:purchase":            "Read and change purchases: supplier invoices and their documents",
		"ea:purchase_readonly":   "Read purchases: supplier invoices and their documents",
		"ea:sales":               "Read and change sales: customer invoices and company settings",
		"ea:sales_readonly":      "Read sales: customer invoices and company settings",
		"ea:settings":            "Read and change company settings",
		"ea:settings_readonly":   "Read company settings",
		"openid":                 "Know who you are",
		"profile":                "Read your name",
		"email":                  "Read your e-mail address",
	}
}

type authFlow struct {
	id          string
	client      Client
	redirectURI string
	scopes      []string
	state       string
	challenge   string
	method      string
	nonce       string
	selectAcct  bool
	user        *user
	authTime    time.Time // when the user logged in
	company     *company
	created     time.Time
}

type authCode struct {
	clientID    string
	redirectURI string
	user        *user
	company     *company
	scopes      []string
	challenge   string
	method      string
	nonce       string
	authTime    time.Time
	expires     time.Time
	used        bool
	grant       *grant // set once exchanged, so a replay can revoke it
}

// grant is one consent: one client, one user, one company, one scope set.
// Every access and refresh token descends from a grant; revoking the grant
// stops them all.
type grant struct {
	clientID string
	user     *user
	company  *company
	scopes   []string
	authTime time.Time // when the user logged in, the id_token's auth_time
	revoked  bool
}

type accessToken struct {
	grant   *grant
	expires time.Time
	revoked bool
}

type refreshToken struct {
	grant *grant
	used  bool
}

func (s *Sandbox) issuer(r *http.Request) string { return s.baseURL(r) }

// discovery serves the OpenID configuration in the shape of
// identity.vismaonline.com's own document, with this sandbox's URLs, but
// lists only what the sandbox serves, so that a client following it never
// meets a 404. Visma's document also names these, which the sandbox leaves
// out: end_session_endpoint, check_session_iframe and the front- and
// back-channel logout flags (the sandbox keeps no login session to end or
// watch), device_authorization_endpoint and backchannel_authentication_endpoint
// (it grants only authorization_code and refresh_token) and
// introspection_endpoint (introspection is for the API's own resource
// credentials, never for a client such as Bilag).
func (s *Sandbox) discovery(w http.ResponseWriter, r *http.Request) {
	b := s.issuer(r)
	scopes := []string{"openid", "profile", "email", "offline_access", "ea:api", "ea:accounting", "ea:accounting_readonly",
		"ea:purchase", "ea:purchase_readonly", "ea:sales", "ea:sales_readonly", "ea:settings", "ea:settings_readonly"}
	doc := map[string]any{
		"issuer":                 b,
		"jwks_uri":               b + "/.well-known/openid-configuration/jwks",
		"authorization_endpoint": b + "/connect/authorize",
		"token_endpoint":         b + "/connect/token",
		"userinfo_endpoint":      b + "/connect/userinfo",
		"revocation_endpoint":    b + "/connect/revocation",
		"scopes_supported":       scopes,
		"claims_supported": []string{"sub", "name", "given_name", "family_name", "email", "email_verified",
			"customer_id", "customer_name", "orgno", "customer_country_code", "roles"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"subject_types_supported":                        []string{"public"},
		"code_challenge_methods_supported":               []string{"plain", "S256"},
		"request_parameter_supported":                    false,
		"prompt_values_supported":                        []string{"none", "login", "consent", "select_account"},
		"authorization_response_iss_parameter_supported": true,
	}
	writeJSON(w, http.StatusOK, doc)
}

func (s *Sandbox) client(id string) (Client, bool) {
	for _, c := range s.cfg.clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

// authorize validates the request as IdentityServer does: an unknown client
// or a redirect URI that is not registered exactly gets an error page and no
// redirect (redirecting would make the server an open redirector); every
// later error is sent back to the client's redirect URI.
func (s *Sandbox) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cl, ok := s.client(q.Get("client_id"))
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "unauthorized_client", "Unknown client or client not enabled.")
		return
	}
	redirect := q.Get("redirect_uri")
	if !slices.Contains(cl.RedirectURIs, redirect) {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "Invalid redirect_uri: it must match a registered redirect URI exactly.")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		s.redirectError(w, r, redirect, state, code, desc)
	}
	if rt := q.Get("response_type"); rt != "code" {
		if rt == "" {
			fail("invalid_request", "response_type is missing")
			return
		}
		fail("unsupported_response_type", "only the authorization code flow is allowed for this client")
		return
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		fail("invalid_request", "unsupported response_mode")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		fail("invalid_request", "scope is missing")
		return
	}
	words := scopeWords()
	for _, sc := range scopes {
		if _, ok := words[sc]; !ok {
			fail("invalid_scope", "invalid scope: "+sc)
			return
		}
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" {
		if method == "" {
			method = "plain"
		}
		if method != "plain" && method != "S256" {
			fail("invalid_request", "transform algorithm not supported")
			return
		}
		if len(challenge) < 43 || len(challenge) > 128 {
			fail("invalid_request", "invalid code_challenge length")
			return
		}
	}
	prompts := strings.Fields(q.Get("prompt"))
	if slices.Contains(prompts, "none") {
		// The sandbox keeps no login session, so a silent request can never succeed.
		fail("login_required", "")
		return
	}
	f := &authFlow{
		id: newToken(), client: cl, redirectURI: redirect, scopes: scopes, state: state,
		challenge: challenge, method: method, nonce: q.Get("nonce"),
		selectAcct: slices.Contains(prompts, "select_account") || strings.Contains(q.Get("acr_values"), "forceselectcompany:true"),
		created:    s.now(),
	}
	s.mu.Lock()
	s.gcFlows()
	s.flows[f.id] = f
	s.mu.Unlock()
	s.render(w, http.StatusOK, "login", pageData{Flow: f.id, Users: demoUsers()})
}

// gcFlows drops abandoned login flows. Caller holds s.mu.
func (s *Sandbox) gcFlows() {
	now := s.now()
	for id, f := range s.flows {
		if now.Sub(f.created) > 30*time.Minute {
			delete(s.flows, id)
		}
	}
	for c, ac := range s.codes {
		if now.After(ac.expires.Add(time.Hour)) {
			delete(s.codes, c)
		}
	}
}

// flow finds the login flow a form belongs to. Caller holds s.mu.
func (s *Sandbox) flow(r *http.Request) *authFlow {
	f := s.flows[r.PostFormValue("flow")]
	if f == nil || s.now().Sub(f.created) > 30*time.Minute {
		return nil
	}
	return f
}

func (s *Sandbox) authorizeLogin(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.flow(r)
	if f == nil {
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "This login has expired. Go back to the application and start again.")
		return
	}
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	var u *user
	for _, cand := range s.users {
		if strings.EqualFold(cand.Email, email) && subtle.ConstantTimeCompare([]byte(cand.Password), []byte(password)) == 1 {
			u = cand
		}
	}
	if u == nil {
		s.mu.Unlock()
		s.render(w, http.StatusOK, "login", pageData{Flow: f.id, Users: demoUsers(), Error: "Wrong e-mail or password.", Email: email})
		return
	}
	f.user, f.authTime = u, s.now()
	var choices []*company
	for _, m := range u.memberships {
		choices = append(choices, m.company)
	}
	switch {
	case len(choices) == 0:
		s.mu.Unlock()
		s.errorPage(w, http.StatusForbidden, "access_denied", "Your user has no companies in Visma eAccounting.")
		return
	case u.defaultCompany != nil && !f.selectAcct:
		// Visma's trap (seed 002): a default company is taken silently unless
		// the client asked for prompt=select_account.
		f.company = u.defaultCompany
	case len(choices) == 1:
		f.company = choices[0]
	default:
		s.mu.Unlock()
		s.render(w, http.StatusOK, "picker", pageData{Flow: f.id, UserName: u.Name, Companies: companyChoices(choices)})
		return
	}
	data := s.consentData(f)
	s.mu.Unlock()
	s.render(w, http.StatusOK, "consent", data)
}

func companyChoices(cs []*company) []DemoCompany {
	out := make([]DemoCompany, len(cs))
	for i, c := range cs {
		out[i] = c.DemoCompany
	}
	return out
}

func (s *Sandbox) consentData(f *authFlow) pageData {
	words := scopeWords()
	var lines []string
	for _, sc := range f.scopes {
		lines = append(lines, words[sc])
	}
	return pageData{Flow: f.id, UserName: f.user.Name, ClientID: f.client.ID, CompanyName: f.company.Name, OrgNumber: f.company.OrgNumber, Scopes: lines}
}

func (s *Sandbox) authorizeCompany(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.flow(r)
	if f == nil || f.user == nil {
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "This login has expired. Go back to the application and start again.")
		return
	}
	var chosen *company
	for _, m := range f.user.memberships {
		if m.company.CompanyIdentifier == r.PostFormValue("company") {
			chosen = m.company
		}
	}
	if chosen == nil {
		var cs []*company
		for _, m := range f.user.memberships {
			cs = append(cs, m.company)
		}
		s.mu.Unlock()
		s.render(w, http.StatusOK, "picker", pageData{Flow: f.id, UserName: f.user.Name, Companies: companyChoices(cs), Error: "Choose a company."})
		return
	}
	f.company = chosen
	data := s.consentData(f)
	s.mu.Unlock()
	s.render(w, http.StatusOK, "consent", data)
}

func (s *Sandbox) authorizeConsent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.flow(r)
	if f == nil || f.user == nil || f.company == nil {
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "This login has expired. Go back to the application and start again.")
		return
	}
	delete(s.flows, f.id) // a flow ends in exactly one redirect
	if r.PostFormValue("decision") != "allow" {
		s.mu.Unlock()
		s.redirectError(w, r, f.redirectURI, f.state, "access_denied", "")
		return
	}
	code := newToken()
	s.codes[code] = &authCode{
		clientID: f.client.ID, redirectURI: f.redirectURI, user: f.user, company: f.company, scopes: f.scopes,
		challenge: f.challenge, method: f.method, nonce: f.nonce, authTime: f.authTime, expires: s.now().Add(s.cfg.codeLifetime),
	}
	s.mu.Unlock()
	v := url.Values{}
	v.Set("code", code)
	v.Set("scope", strings.Join(f.scopes, " "))
	if f.state != "" {
		v.Set("state", f.state)
	}
	v.Set("iss", s.issuer(r))
	http.Redirect(w, r, addQuery(f.redirectURI, v), http.StatusFound)
}

func addQuery(u string, v url.Values) string {
	if strings.Contains(u, "?") {
		return u + "&" + v.Encode()
	}
	return u + "?" + v.Encode()
}

func (s *Sandbox) redirectError(w http.ResponseWriter, r *http.Request, redirect, state, code, desc string) {
	v := url.Values{}
	v.Set("error", code)
	if desc != "" {
		v.Set("error_description", desc)
	}
	if state != "" {
		v.Set("state", state)
	}
	v.Set("iss", s.issuer(r))
	http.Redirect(w, r, addQuery(redirect, v), http.StatusFound)
}

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]string{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, body)
}

// authenticateClient accepts client_secret_basic and client_secret_post, the
// two methods the discovery document lists.
func (s *Sandbox) authenticateClient(w http.ResponseWriter, r *http.Request) (Client, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: the Basic credentials are form-urlencoded first.
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		if u, err := url.QueryUnescape(secret); err == nil {
			secret = u
		}
	} else {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	cl, ok := s.client(id)
	if id == "" || !ok || subtle.ConstantTimeCompare([]byte(cl.Secret), []byte(secret)) != 1 {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="identity"`)
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return Client{}, false
	}
	return cl, true
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded")
}

func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	if !isForm(r) {
		// Visma: token requests must always be x-www-form-urlencoded.
		oauthError(w, http.StatusBadRequest, "invalid_request", "content type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed body")
		return
	}
	gt := r.PostFormValue("grant_type")
	s.mu.Lock()
	s.stats.TokenRequests[gt]++
	s.mu.Unlock()
	cl, ok := s.authenticateClient(w, r)
	if !ok {
		return
	}
	switch gt {
	case "authorization_code":
		s.exchangeCode(w, r, cl)
	case "refresh_token":
		s.refresh(w, r, cl)
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

func (s *Sandbox) exchangeCode(w http.ResponseWriter, r *http.Request, cl Client) {
	code := r.PostFormValue("code")
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.codes[code]
	switch {
	case ac == nil || ac.clientID != cl.ID:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	case ac.used:
		// RFC 6749 §4.1.2: a replayed code revokes what it granted.
		if ac.grant != nil {
			ac.grant.revoked = true
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	case s.now().After(ac.expires):
		delete(s.codes, code)
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	case r.PostFormValue("redirect_uri") != ac.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	}
	verifier := r.PostFormValue("code_verifier")
	if ac.challenge == "" && verifier != "" {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	}
	if ac.challenge != "" {
		want := verifier
		if ac.method == "S256" {
			sum := sha256.Sum256([]byte(verifier))
			want = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if verifier == "" || len(verifier) < 43 || len(verifier) > 128 || subtle.ConstantTimeCompare([]byte(want), []byte(ac.challenge)) != 1 {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "")
			return
		}
	}
	ac.used = true
	g := &grant{clientID: cl.ID, user: ac.user, company: ac.company, scopes: ac.scopes, authTime: ac.authTime}
	ac.grant = g
	s.stats.CodeExchanges++
	s.issue(w, r, g, ac.nonce)
}

// issue writes a token response for g, with an id_token when g has the
// openid scope; nonce is the authorization request's, empty on refresh.
// Caller holds s.mu.
func (s *Sandbox) issue(w http.ResponseWriter, r *http.Request, g *grant, nonce string) {
	var idToken string
	if slices.Contains(g.scopes, "openid") {
		var err error
		if idToken, err = s.idToken(s.issuer(r), g, nonce); err != nil {
			s.cfg.logger.Error("sandbox: id_token", "err", err)
			oauthError(w, http.StatusInternalServerError, "server_error", "")
			return
		}
	}
	at := newToken()
	s.accessTokens[at] = &accessToken{grant: g, expires: s.now().Add(s.cfg.tokenLifetime)}
	resp := map[string]any{
		"access_token": at,
		"expires_in":   int(s.cfg.tokenLifetime / time.Second),
		"token_type":   "Bearer",
		"scope":        strings.Join(g.scopes, " "),
	}
	if slices.Contains(g.scopes, "offline_access") {
		rt := newToken()
		s.refreshTokens[rt] = &refreshToken{grant: g}
		resp["refresh_token"] = rt
	}
	if idToken != "" {
		resp["id_token"] = idToken
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// refresh rotates: the presented refresh token is spent and a new one is
// issued ("the same Refresh Token cannot be used more than once").
func (s *Sandbox) refresh(w http.ResponseWriter, r *http.Request, cl Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refreshTokens[r.PostFormValue("refresh_token")]
	if rt == nil || rt.grant.clientID != cl.ID || rt.used || rt.grant.revoked {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	}
	if s.refuseRefresh {
		s.refuseRefresh = false
		rt.used = true
		rt.grant.revoked = true
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	}
	if sc := strings.Fields(r.PostFormValue("scope")); len(sc) > 0 {
		for _, x := range sc {
			if !slices.Contains(rt.grant.scopes, x) {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "")
				return
			}
		}
	}
	rt.used = true
	s.stats.Refreshes++
	s.issue(w, r, rt.grant, "")
}

// revocation implements RFC 7009. Revoking a refresh token ends the grant, so
// its access tokens stop working too; revoking an access token ends only that
// token. Unknown tokens are answered 200, as the RFC requires.
func (s *Sandbox) revocation(w http.ResponseWriter, r *http.Request) {
	if !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "")
		return
	}
	s.mu.Lock()
	s.stats.Revocations++
	s.mu.Unlock()
	cl, ok := s.authenticateClient(w, r)
	if !ok {
		return
	}
	tok := r.PostFormValue("token")
	if tok == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "")
		return
	}
	if h := r.PostFormValue("token_type_hint"); h != "" && h != "access_token" && h != "refresh_token" {
		oauthError(w, http.StatusBadRequest, "unsupported_token_type", "")
		return
	}
	s.mu.Lock()
	if rt := s.refreshTokens[tok]; rt != nil && rt.grant.clientID == cl.ID {
		rt.grant.revoked = true
	} else if at := s.accessTokens[tok]; at != nil && at.grant.clientID == cl.ID {
		at.revoked = true
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// bearer resolves the access token of a request. Caller holds s.mu.
func (s *Sandbox) bearer(r *http.Request) (*accessToken, string) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return nil, ""
	}
	at := s.accessTokens[strings.TrimSpace(h[7:])]
	switch {
	case at == nil:
		return nil, `Bearer error="invalid_token"`
	case at.revoked || at.grant.revoked:
		return nil, `Bearer error="invalid_token", error_description="The access token is not valid"`
	case !s.now().Before(at.expires):
		return nil, `Bearer error="invalid_token", error_description="The token expired at '` + at.expires.Format("01/02/2006 15:04:05") + `'"`
	}
	return at, ""
}

func (s *Sandbox) userinfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	at, challenge := s.bearer(r)
	if at == nil || !slices.Contains(at.grant.scopes, "openid") {
		s.mu.Unlock()
		if challenge == "" {
			challenge = "Bearer"
		}
		w.Header().Set("WWW-Authenticate", challenge)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	u, c := at.grant.user, at.grant.company
	s.mu.Unlock()
	body := map[string]any{
		"sub":                   u.id.String(),
		"customer_id":           c.id.String(),
		"customer_name":         c.Name,
		"orgno":                 c.OrgNumber,
		"customer_country_code": c.Country,
	}
	if slices.Contains(at.grant.scopes, "email") {
		body["email"] = u.Email
		body["email_verified"] = true
	}
	if slices.Contains(at.grant.scopes, "profile") {
		body["name"], body["given_name"], body["family_name"] = u.Name, u.first, u.last
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
