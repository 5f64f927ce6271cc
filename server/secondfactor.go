package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"bilag/db"
	"bilag/server/password"
	"bilag/views"
)

const (
	// codeStepMaxAge is how long after the password the code is asked for.
	codeStepMaxAge = 5 * time.Minute
	// totpPeriod is RFC 6238's time step.
	totpPeriod = 30
	// recoveryCodes is how many one-time recovery codes an enrolment makes.
	recoveryCodes = 10
)

// totpOpts are the parameters authenticator apps assume (RFC 6238's
// defaults): SHA-1, 6 digits, 30 s.
var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// --- login ---

type codePage struct{ Error string }

// askCode remembers, in the sealed cookie, that u's password was right,
// and asks for the second factor.
func (s *Server) askCode(c echo.Context, u *db.User, next string) error {
	sess := &session{Lang: sessionOf(c).Lang, Pending: u.ID, PendingAt: s.now().Unix(), PendingNext: next}
	c.Set(string(keySession), sess)
	if err := s.saveSession(c, sess); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login/code")
}

// pendingUser is the active user whose password this browser gave less
// than codeStepMaxAge ago, or nil.
func (s *Server) pendingUser(ctx context.Context, sess *session) (*db.User, error) {
	if sess.Pending == 0 || s.now().Sub(time.Unix(sess.PendingAt, 0)) > codeStepMaxAge {
		return nil, nil
	}
	u, err := s.db.User(ctx, sess.Pending)
	if errors.Is(err, db.ErrNotFound) || (err == nil && (!u.Active || !u.HasSecondFactor())) {
		return nil, nil
	}
	return u, err
}

func (s *Server) showLoginCode(c echo.Context) error {
	u, err := s.pendingUser(c.Request().Context(), sessionOf(c))
	if err != nil {
		return err
	}
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return s.render(c, "login_code", s.t(c, "login.code.title"), codePage{})
}

// loginCode takes the second factor: a TOTP code or a recovery code, each
// good once. Wrong ones count against the login throttle.
func (s *Server) loginCode(c echo.Context) error {
	ctx := c.Request().Context()
	sess := sessionOf(c)
	u, err := s.pendingUser(ctx, sess)
	if err != nil {
		return err
	}
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	ip := c.RealIP()
	if blocked, _ := s.throttle.blocked(u.Email, ip); blocked {
		return c.Render(http.StatusTooManyRequests, "login_code", s.page(c, s.t(c, "login.code.title"), codePage{Error: "login.code.throttled"}))
	}
	how, err := s.checkSecondFactor(ctx, u, c.FormValue("code"))
	if err != nil {
		return err
	}
	if how == "" {
		s.throttle.fail(u.Email, ip)
		_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditLoginFailed, UserID: &u.ID, Actor: u.Email, RemoteIP: ip, Detail: "second_factor"})
		return c.Render(http.StatusUnauthorized, "login_code", s.page(c, s.t(c, "login.code.title"), codePage{Error: "login.code.failed"}))
	}
	s.throttle.succeed(u.Email)
	return s.finishLogin(c, u, sess.PendingNext, "second_factor="+how)
}

// checkSecondFactor says how code proves u's second factor ("totp" or
// "recovery"), spending it, or "" when it does not.
func (s *Server) checkSecondFactor(ctx context.Context, u *db.User, code string) (string, error) {
	code = strings.TrimSpace(code)
	if len(code) > 64 {
		return "", nil
	}
	key, err := s.db.SecondFactorKey(u)
	if err != nil {
		return "", err
	}
	if step, ok := matchTOTP(string(key), code, s.now()); ok {
		used, err := s.db.UseSecondFactorStep(ctx, u.ID, step)
		if used || err != nil {
			return "totp", err
		}
		return "", nil
	}
	used, err := s.db.UseRecoveryCode(ctx, u.ID, normalizeRecoveryCode(code))
	if used || err != nil {
		return "recovery", err
	}
	return "", nil
}

// matchTOTP finds the time step, of the current one and its neighbours
// (clock drift, RFC 6238 §5.2), whose code code is.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != 6 {
		return 0, false
	}
	for _, off := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(off*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// normalizeRecoveryCode reads a recovery code as typed: any case, with or
// without its hyphens and spaces.
func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if r == '-' || r == ' ' {
			continue
		}
		if b.Len() > 0 && b.Len()%5 == 4 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// --- enrolment on the Settings page ---

// enrolment is a pending second factor shown for scanning.
type enrolment struct {
	Secret string
	// QR is a data: URL of a PNG, made here, so the template may trust it.
	QR template.URL
}

// startSecondFactor makes a new key, stored sealed and pending until a
// code from it confirms it, and shows it as a QR code and as text.
func (s *Server) startSecondFactor(c echo.Context) error {
	u := currentUser(c)
	if u.HasSecondFactor() {
		return s.flashTo(c, s.t(c, "settings.2fa.already"), "/settings")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.firm + " (Bilag)", AccountName: u.Email, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return fmt.Errorf("generate second-factor key: %w", err)
	}
	if err := s.db.SetPendingSecondFactor(c.Request().Context(), u.ID, []byte(key.Secret())); err != nil {
		return err
	}
	return s.renderSettings(c, http.StatusOK, settingsPage{})
}

// pendingEnrolment is u's pending key as the page shows it, or nil. u is
// read fresh from the database.
func (s *Server) pendingEnrolment(u *db.User) (*enrolment, error) {
	if u.HasSecondFactor() || len(u.TOTPSealed) == 0 {
		return nil, nil
	}
	secret, err := s.db.SecondFactorKey(u)
	if err != nil {
		return nil, err
	}
	issuer := s.firm + " (Bilag)"
	v := url.Values{"secret": {string(secret)}, "issuer": {issuer}, "period": {"30"}, "digits": {"6"}, "algorithm": {"SHA1"}}
	key, err := otp.NewKeyFromURL((&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + u.Email, RawQuery: v.Encode()}).String())
	if err != nil {
		return nil, fmt.Errorf("second-factor key URL: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("second-factor QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("second-factor QR code: %w", err)
	}
	return &enrolment{Secret: string(secret), QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))}, nil
}

// secondFactorState reads the user's second factor afresh.
func (s *Server) secondFactorState(ctx context.Context, userID int64) (secondFactorState, error) {
	u, err := s.db.User(ctx, userID)
	if err != nil {
		return secondFactorState{}, err
	}
	st := secondFactorState{Enabled: u.HasSecondFactor(), Required: s.mustEnrol(u), CanTurnOff: !s.needs2FA(u)}
	if st.Enabled {
		st.Left, err = s.db.RecoveryCodesLeft(ctx, u.ID)
		return st, err
	}
	st.Pending, err = s.pendingEnrolment(u)
	return st, err
}

// mustEnrol: u needs a second factor (needs2FA) and has none.
func (s *Server) mustEnrol(u *db.User) bool {
	return s.needs2FA(u) && !u.HasSecondFactor()
}

// needs2FA: u is an admin where admins need a second factor, or a client
// user where the firm wants them to have one (BILAG_CLIENT_2FA).
func (s *Server) needs2FA(u *db.User) bool {
	return s.adminNeeds2FA && u.IsAdmin() || s.clientNeeds2FA && u.IsClient()
}

// enrolOnly lets an admin who must enrol reach the Settings page, its
// second-factor forms and the password form only: other pages send them
// there, other forms (an API token too, which needs no second factor) are
// refused.
func (s *Server) enrolOnly(c echo.Context, u *db.User) error {
	p := c.Request().URL.Path
	if !s.mustEnrol(u) || p == "/settings" || p == "/settings/password" || strings.HasPrefix(p, "/settings/second-factor") {
		return nil
	}
	if c.Request().Method == http.MethodGet {
		return c.Redirect(http.StatusSeeOther, "/settings")
	}
	return echo.ErrForbidden
}

// confirmSecondFactor turns the pending key on when code is one of its
// codes, and shows the recovery codes, once.
func (s *Server) confirmSecondFactor(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	key, err := s.db.SecondFactorKey(u)
	if u.HasSecondFactor() || errors.Is(err, db.ErrNoSecondFactor) {
		return s.flashTo(c, s.t(c, "settings.2fa.start"), "/settings")
	} else if err != nil {
		return err
	}
	step, ok := matchTOTP(string(key), strings.TrimSpace(c.FormValue("code")), s.now())
	if !ok {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsPage{CodeError: "settings.2fa.wrongcode"})
	}
	codes := newRecoveryCodes()
	if err := s.db.EnableSecondFactor(ctx, u.ID, step, codes); err != nil {
		return err
	}
	now := s.now().UTC()
	u.TOTPEnabledAt = &now
	s.audit(c, db.AuditSecondFactorEnable, nil, u.Email, "")
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderSettings(c, http.StatusOK, settingsPage{RecoveryCodes: codes, RecoveryFile: s.recoveryFile(c, u, codes)})
}

// recoveryFile is codes as a text file the person can keep, named, as a
// data: URL made here (so the template may trust it): the codes are stored
// only hashed, so no route could serve them later.
func (s *Server) recoveryFile(c echo.Context, u *db.User, codes []string) template.URL {
	var b strings.Builder
	b.WriteString(s.t(c, "settings.2fa.codes.file", u.Email, s.firm, views.FormatTime(s.now(), s.zone, s.lang(c))))
	b.WriteString("\n\n")
	for _, code := range codes {
		b.WriteString(code + "\n")
	}
	return template.URL("data:text/plain;charset=utf-8," + url.PathEscape(b.String()))
}

func newRecoveryCodes() []string {
	codes := make([]string, recoveryCodes)
	for i := range codes {
		codes[i] = password.Generate()
	}
	return codes
}

// replaceRecoveryCodes makes new recovery codes, the old ones void, and
// shows them once; the current password proves it is the person.
func (s *Server) replaceRecoveryCodes(c echo.Context) error {
	u := currentUser(c)
	if !u.HasSecondFactor() {
		return echo.ErrNotFound
	}
	if key := s.checkCurrentPassword(c, u); key != "" {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsPage{ManageError: key})
	}
	codes := newRecoveryCodes()
	if err := s.db.ReplaceRecoveryCodes(c.Request().Context(), u.ID, codes); err != nil {
		return err
	}
	s.audit(c, db.AuditRecoveryCodesNew, nil, u.Email, "")
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderSettings(c, http.StatusOK, settingsPage{RecoveryCodes: codes, RecoveryFile: s.recoveryFile(c, u, codes)})
}

// turnOffSecondFactor removes the person's own second factor, where it is
// optional for them; the current password proves it is the person.
func (s *Server) turnOffSecondFactor(c echo.Context) error {
	u := currentUser(c)
	if !u.HasSecondFactor() {
		return echo.ErrNotFound
	}
	if s.needs2FA(u) {
		return echo.ErrForbidden
	}
	if key := s.checkCurrentPassword(c, u); key != "" {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsPage{ManageError: key})
	}
	if err := s.db.RemoveSecondFactor(c.Request().Context(), u.ID); err != nil {
		return err
	}
	s.audit(c, db.AuditSecondFactorOff, nil, u.Email, "")
	return s.flashTo(c, s.t(c, "settings.2fa.turnedoff"), "/settings")
}

// resetSecondFactor is the admin's: it takes away a user's second factor
// (a lost phone) and ends all of their sessions.
func (s *Server) resetSecondFactor(c echo.Context) error {
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	if err := s.db.ResetSecondFactor(c.Request().Context(), u.ID); err != nil {
		return err
	}
	s.audit(c, db.AuditSecondFactorReset, nil, u.Email, "sessions_ended=all")
	msg := s.t(c, "admin.user.2fa.reset") + " " + s.t(c, "admin.user.sessions.ended")
	return s.flashTo(c, msg, fmt.Sprintf("/admin/users/%d", u.ID))
}
