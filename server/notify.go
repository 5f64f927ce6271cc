package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/connections"
	"bilag/server/mail"
)

// syncFailingAfter is how long a company's syncs fail before its people
// are told: single failures mend themselves at the next sync.
const syncFailingAfter = 24 * time.Hour

// Notify is the connection service's events made notifications: stored for
// the portal's bell and, when the portal sends mail, e-mailed to the one
// who made the company's link. A connection closes its company's other
// open links.
func (s *Server) Notify(ctx context.Context, e connections.Event) {
	n := &db.Notification{CompanyID: e.CompanyID, Kind: e.Kind, Actor: e.Approver, Reason: e.Reason, Detail: e.Detail}
	if e.Link != nil {
		n.LinkID = e.Link.ID
	}
	switch e.Kind {
	case db.NotifyLinkConnected:
		// The link's history says who approved it, as it says who tried
		// one that failed.
		s.recordApprover(ctx, e)
		if closed, err := s.db.CloseOtherLinks(ctx, e.CompanyID, n.LinkID); err != nil {
			s.log.Error("close superseded links", "company_id", e.CompanyID, "err", err)
		} else if closed > 0 {
			_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditLinkRevoke, CompanyID: &e.CompanyID, Actor: "bilag",
				Target: fmt.Sprintf("%d links", closed), Detail: "superseded by a connection"})
		}
	case db.NotifyLinkFailed:
		s.recordApprover(ctx, e)
	case db.NotifySyncFailing:
		if !s.syncFailingLongEnough(ctx, e.CompanyID) {
			return
		}
	}
	if e.Connection != nil && e.Link == nil {
		n.LinkID = e.Connection.LinkID
	}
	if err := s.db.Notify(ctx, n); err != nil {
		s.log.Error("store notification", "company_id", e.CompanyID, "kind", e.Kind, "err", err)
		return
	}
	s.mailNotification(ctx, n)
}

// recordApprover keeps on e's link the upstream user who tried or
// approved it, when known.
func (s *Server) recordApprover(ctx context.Context, e connections.Event) {
	if e.Approver == "" || e.Link == nil {
		return
	}
	if err := s.db.SetLinkApprover(ctx, e.Link.ID, e.Approver); err != nil {
		s.log.Error("record approver", "link_id", e.Link.ID, "err", err)
	}
}

// syncFailingLongEnough: the company's syncs have failed for a day, and
// nobody has been told since they began to.
func (s *Server) syncFailingLongEnough(ctx context.Context, companyID int64) bool {
	since, err := s.db.FailingSince(ctx, companyID)
	if err != nil || since == nil || s.now().Sub(*since) < syncFailingAfter {
		return false
	}
	told, err := s.db.NotifiedSince(ctx, companyID, db.NotifySyncFailing, *since)
	return err == nil && !told
}

// notificationWords is a notification in lang: what happened and what to
// do next.
func (s *Server) notificationWords(lang string, n *db.Notification, company string) (what, next string) {
	switch n.Kind {
	case db.NotifyLinkConnected:
		who := n.Actor
		if who == "" {
			who = s.views.Translate(lang, "notify.someone")
		}
		return s.views.Translate(lang, "notify.connected", company, who), ""
	case db.NotifyLinkFailed:
		why, next := s.failureWords(lang, n.Reason, n.Detail)
		if n.Actor != "" {
			return s.views.Translate(lang, "notify.failed.by", company, why, n.Actor), next
		}
		return s.views.Translate(lang, "notify.failed", company, why), next
	case db.NotifyReapproval:
		return s.views.Translate(lang, "notify.reapproval", company), s.views.Translate(lang, "next.reapproval")
	case db.NotifySyncFailing:
		return s.views.Translate(lang, "notify.syncfailing", company), s.views.Translate(lang, "sync.reason."+n.Reason)
	case db.NotifyClientWithdrew:
		return s.views.Translate(lang, "notify.client_withdrew", company, n.Actor), s.views.Translate(lang, "next.client_withdrew")
	}
	return n.Kind, ""
}

// mailNotification e-mails n, in Swedish and English, to whoever made the
// link it concerns, or to the admins when nobody did.
func (s *Server) mailNotification(ctx context.Context, n *db.Notification) {
	if !s.mailOn() {
		return
	}
	co, err := s.db.Company(ctx, n.CompanyID)
	if err != nil {
		return
	}
	var text, subject []string
	for _, lang := range []string{"sv", "en"} {
		what, next := s.notificationWords(lang, n, co.Name)
		subject = append(subject, s.views.Translate(lang, "notify.subject."+n.Kind, co.Name))
		text = append(text, strings.TrimSpace(what+"\n\n"+next)+"\n\n"+s.absURL(fmt.Sprintf("/companies/%d", co.ID)))
	}
	for _, to := range s.notificationRecipients(ctx, n) {
		m := mail.Message{To: to, Subject: strings.Join(subject, " / "), Text: strings.Join(text, "\n\n---\n\n")}
		if err := s.sendMail(ctx, m); err != nil {
			s.log.Warn("mail notification", "company_id", n.CompanyID, "kind", n.Kind, "err", err)
		}
	}
}

func (s *Server) notificationRecipients(ctx context.Context, n *db.Notification) []string {
	if n.LinkID != 0 {
		if l, err := s.db.Link(ctx, n.LinkID); err == nil {
			if u, err := s.db.User(ctx, l.CreatedByID); err == nil && u.Active {
				return []string{u.Email}
			}
		}
	}
	us, err := s.db.Users(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, u := range us {
		if u.Active && u.IsAdmin() {
			out = append(out, u.Email)
		}
	}
	return out
}

type notificationRow struct {
	At        time.Time
	CompanyID int64
	Company   string
	What      string
	Next      string
	Kind      string
	Unread    bool
}

type notificationsPage struct{ Rows []notificationRow }

// showNotifications lists the user's notifications, newest first, and
// marks them seen.
func (s *Server) showNotifications(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if !u.CanManageConnections() {
		return echo.ErrNotFound
	}
	unread, err := s.db.UnreadNotifications(ctx, u)
	if err != nil {
		return err
	}
	ns, err := s.db.Notifications(ctx, u, 100)
	if err != nil {
		return err
	}
	p := notificationsPage{}
	names := map[int64]string{}
	for i := range ns {
		n := &ns[i]
		if _, ok := names[n.CompanyID]; !ok {
			if co, err := s.db.Company(ctx, n.CompanyID); err == nil {
				names[n.CompanyID] = co.Name
			}
		}
		what, next := s.notificationWords(s.lang(c), n, names[n.CompanyID])
		p.Rows = append(p.Rows, notificationRow{At: n.CreatedAt, CompanyID: n.CompanyID, Company: names[n.CompanyID], What: what, Next: next,
			Kind: n.Kind, Unread: int64(i) < unread})
	}
	if len(ns) > 0 {
		if err := s.db.MarkNotificationsSeen(ctx, u.ID, ns[0].ID); err != nil {
			return err
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Render(http.StatusOK, "notifications", s.page(c, s.t(c, "notify.title"), p))
}

// unreadNotifications is the bell's count for the page's user.
func (s *Server) unreadNotifications(c echo.Context) int64 {
	u := currentUser(c)
	if u == nil || !u.CanManageConnections() {
		return 0
	}
	n, err := s.db.UnreadNotifications(c.Request().Context(), u)
	if err != nil {
		s.log.Warn("count notifications", "err", err)
	}
	return n
}
