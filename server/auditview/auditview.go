// Package auditview says what an audit event means to the person reading
// a company's audit trail: one sentence ("Anna Lindqvist approved access
// to Visma eAccounting through link 7"), and the event's stored fields as
// details, every time in the reader's zone. It only reads: the events are
// stored as they were written, and the CSV export keeps them so.
//
// An event's fields were written for the record, not for reading (an
// approval's actor is "Anna Lindqvist (consent link 7)", a document's
// detail "voucher=A 12 document=5 …"), so the sentences take them apart;
// a field that does not parse still shows as stored in the details.
package auditview

import (
	"regexp"
	"strings"
	"sync"
	"time"

	"bilag/db"
)

// Words are the texts sentences are made of (*views.Renderer).
type Words interface {
	Translate(lang, key string, args ...any) string
	HasText(key string) bool
	ConnectorName(lang, name string) string
}

// Reader is who reads the trail.
type Reader struct {
	Lang string
	// Zone is the zone times are printed in, named; nil is UTC.
	Zone *time.Location
	// Users are the names of the firm's people by id: an event of theirs
	// names them as colleagues know them, the e-mail staying in the
	// details.
	Users map[int64]string
}

// Row is one event as the trail shows it.
type Row struct {
	// At is when, to the second, in the reader's zone, naming it.
	At string
	// Sentence says who did what to what.
	Sentence string
	// Details are the stored fields, labelled, times in the reader's zone.
	Details []Detail
	// Failed: what the event records did not succeed (a login, an
	// approval, a document that was not shown in full, an ended access).
	Failed bool
	// Receipt is the number of the link an approval went through, whose
	// receipt the trail links to (the approver's, issue 29); "" for
	// every other event.
	Receipt string
}

// Detail is one stored field: a label in the reader's language for the
// event's own columns, the stored key for the parts of its detail text.
type Detail struct{ Label, Value string }

// TimeLayout is how the trail prints a time: to the second, with the
// zone's name, so that nobody reads server time as their own.
const TimeLayout = "2006-01-02 15:04:05 MST"

// Describe is e as r reads it.
func Describe(w Words, r Reader, e db.AuditEvent) Row {
	d := describer{w: w, r: r, e: e, fields: parseDetail(e.Detail)}
	row := Row{At: d.time(e.At), Details: d.details()}
	row.Sentence, row.Failed = d.sentence()
	if e.Action == db.AuditConnect {
		if _, link := approval(e.Actor); isNumber(link) {
			row.Receipt = link
		}
	}
	return row
}

// isNumber: s is a link's number, all digits, so it goes into a path as
// it is.
func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

type describer struct {
	w      Words
	r      Reader
	e      db.AuditEvent
	fields []field
}

func (d describer) t(key string, args ...any) string { return d.w.Translate(d.r.Lang, key, args...) }

// says is the sentence of key "audit.says.<variant>".
func (d describer) says(variant string, args ...any) string {
	return d.t("audit.says."+variant, args...)
}

func (d describer) time(t time.Time) string {
	zone := d.r.Zone
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format(TimeLayout)
}

// who names the event's actor: a colleague by name, Bilag's own jobs and
// command line in words, anyone else (an e-mail typed at a failed login)
// as stored.
func (d describer) who() string {
	if d.e.UserID != nil {
		if n := d.r.Users[*d.e.UserID]; n != "" {
			return n
		}
	}
	switch d.e.Actor {
	case "":
		return d.t("audit.who.someone")
	case "bilag":
		return "Bilag"
	case "bilag user add":
		return d.t("audit.who.cli")
	}
	return d.e.Actor
}

// system is a connector's name as people know it.
func (d describer) system(name string) string { return d.w.ConnectorName(d.r.Lang, name) }

// value is the detail field key's value, "" without one.
func (d describer) value(key string) string {
	for _, f := range d.fields {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

// sentence is the event's sentence, and whether it records a failure.
// Every action db declares has a case here (a test walks them); an
// action without one, from a newer Bilag, reads "who: action".
func (d describer) sentence() (string, bool) {
	e, who := d.e, d.who()
	switch e.Action {
	case db.AuditLogin:
		return d.says("login", who), false
	case db.AuditLoginFailed:
		if e.Detail == "second_factor" {
			return d.says("login_failed_code", who), true
		}
		return d.says("login_failed", who), true
	case db.AuditLogout:
		return d.says("logout", who), false
	case db.AuditUserCreate:
		return d.says("user_create", who, e.Target), false
	case db.AuditUserUpdate:
		if strings.HasPrefix(e.Detail, "own_password_changed") {
			return d.says("user_update_own", who), false
		}
		return d.says("user_update", who, e.Target), false
	case db.AuditSecondFactorEnable:
		return d.says("second_factor_enable", who), false
	case db.AuditSecondFactorOff:
		return d.says("second_factor_off", who), false
	case db.AuditSecondFactorReset:
		return d.says("second_factor_reset", who, e.Target), false
	case db.AuditRecoveryCodesNew:
		return d.says("recovery_codes_new", who), false
	case db.AuditAPITokenCreate:
		return d.says("api_token_create", who, e.Target), false
	case db.AuditAPITokenRevoke:
		return d.says("api_token_revoke", who, or(d.value("token_id"), e.Target)), false
	case db.AuditCompanyCreate:
		if strings.HasSuffix(e.Detail, "(import)") {
			return d.says("company_create_import", who, e.Target), false
		}
		return d.says("company_create", who, e.Target), false
	case db.AuditCompanyUpdate:
		return d.says("company_update", who, e.Target), false
	case db.AuditMembersUpdate:
		return d.says("members_update", who), false
	case db.AuditPrivateHosts:
		return d.says("private_hosts", who), false
	case db.AuditDocumentRules:
		return d.says("document_rules", who), false
	case db.AuditLinkCreate:
		return d.says("link_create", who, linkNumber(e.Target)), false
	case db.AuditLinkSend:
		return d.says("link_send", who, linkNumber(e.Target), or(d.value("to"), "—")), false
	case db.AuditLinkRevoke:
		if n, ok := strings.CutSuffix(e.Target, " links"); ok && e.Actor == "bilag" {
			return d.says("link_revoke_superseded", n), false
		}
		return d.says("link_revoke", who, linkNumber(e.Target)), false
	case db.AuditConnect:
		approver, link := approval(e.Actor)
		switch {
		case approver == "" && link != "":
			return d.says("connect_link", d.system(e.Target), link), false
		case link == "":
			return d.says("connect_by", who, d.system(e.Target)), false
		}
		return d.says("connect", approver, d.system(e.Target), link), false
	case db.AuditConnectFailed:
		_, link := approval(e.Actor)
		reason, _, _ := strings.Cut(e.Detail, " ")
		if d.w.HasText("reason." + reason) {
			reason = d.t("reason." + reason)
		}
		return d.says("connect_failed", d.system(e.Target), or(link, "—"), or(reason, "—")), true
	case db.AuditGrantReplaced:
		_, link := approval(e.Actor)
		return d.says("grant_replaced", or(link, "—"), d.system(e.Target)), false
	case db.AuditDisconnect:
		return d.says("disconnect", who, d.system(e.Target)), false
	case db.AuditConnectionEnded:
		return d.says("connection_ended", d.system(or(e.Target, e.Actor))), true
	case db.AuditConnectionRevived:
		return d.says("connection_revived", d.system(or(e.Target, e.Actor))), false
	case db.AuditSyncRequest:
		return d.says("sync_request", who), false
	case db.AuditConnectionTest:
		// The detail is "ok" or what failed, per capability.
		return d.says("connection_test", who, d.system(e.Target)), e.Detail != "ok"
	case db.AuditImportSend:
		return d.says("import_send", who, or(e.Target, "—")), false
	case db.AuditInvoiceAction:
		return d.says("invoice_action", who, or(d.value("order"), "—"), d.system(e.Target), d.invoiceAction(),
			d.known("imports.status.", d.value("outcome"))), d.value("outcome") != db.ImportAccepted
	case db.AuditRecordAction:
		return d.says("record_action", who, or(d.value("record"), "—"), d.system(e.Target), d.known(e.Target+".record.act.", d.value("action")),
			d.known("imports.status.", d.value("outcome"))), d.value("outcome") != db.ImportAccepted
	case db.AuditIntegrationTokenCreate:
		return d.says("integration_token_create", who, e.Target), false
	case db.AuditIntegrationTokenRevoke:
		return d.says("integration_token_revoke", who, e.Target), false
	case db.AuditAPIBatch:
		return d.says("api_batch", who, d.system(e.Target)), false
	case db.AuditAPISending:
		if e.Target == "at_once" {
			return d.says("api_sending_at_once", who), false
		}
		return d.says("api_sending_held", who), false
	case db.AuditCompanyOffboard:
		return d.says("company_offboard", who, or(d.value("vouchers"), "0"), or(d.value("documents"), "0"),
			or(d.value("invoice_bodies"), "0"), or(d.value("cached_documents"), "0"), or(d.value("connections_ended"), "0")), false
	case db.AuditPairingChange:
		return d.says("pairing_change", who, d.system(e.Target), d.pairingTable(), or(d.value("key"), "—"),
			or(d.value("old"), "—"), or(d.value("new"), "—")), false
	case db.AuditClientInvite:
		return d.says("client_invite", who, e.Target), false
	case db.AuditClientEnd:
		return d.says("client_end", who, e.Target), false
	case db.AuditMissingMessage:
		return d.says("missing_message", who, or(d.value("vouchers"), "0"), or(e.Target, "—")), false
	case db.AuditUserMakeClient:
		return d.says("user_make_client", who, e.Target), false
	case db.AuditClientWithdraw:
		return d.says("client_withdraw", who, d.system(e.Target)), false
	case db.AuditPackCreate:
		return d.says("pack_create", who, e.Target), false
	case db.AuditPackReady:
		return d.says("pack_ready", e.Target), false
	case db.AuditPackDownload:
		return d.says("pack_download", who, e.Target), false
	case db.AuditDocumentOpen:
		voucher := d.value("voucher")
		switch {
		case voucher == "":
			return d.says("document_open_plain", who, e.Target), false
		case d.value("error") != "":
			return d.says("document_open_failed", who, e.Target, voucher), true
		}
		return d.says("document_open", who, e.Target, voucher), false
	}
	return who + ": " + e.Action, false
}

// invoiceAction names an invoice action as its connector words it
// ("<connector>.imports.act.<action>"), else as stored.
func (d describer) invoiceAction() string {
	return d.known(d.e.Target+".imports.act.", d.value("action"))
}

// known is the text of prefix+v when the catalogue has one, else v (or
// "—" when empty).
func (d describer) known(prefix, v string) string {
	if v != "" && d.w.HasText(prefix+v) {
		return d.t(prefix + v)
	}
	return or(v, "—")
}

// pairingTable names a pairing change's table as its connector words it
// ("<connector>.pairing.<table>"), else as stored.
func (d describer) pairingTable() string {
	table := d.value("table")
	if key := d.e.Target + ".pairing." + table; table != "" && d.w.HasText(key) {
		return d.t(key)
	}
	return or(table, "—")
}

// details are the event's stored fields: who as stored, what, the
// object, each part of the detail text (its key=value parts one by one),
// and the address; times in the reader's zone.
func (d describer) details() []Detail {
	var out []Detail
	add := func(label, value string) {
		if value != "" {
			out = append(out, Detail{Label: label, Value: d.times(value)})
		}
	}
	add(d.t("audit.actor"), d.e.Actor)
	action := d.e.Action
	if d.w.HasText("audit.action." + action) {
		action = d.t("audit.action." + action)
	}
	add(d.t("audit.action"), action)
	add(d.t("audit.target"), d.e.Target)
	for _, f := range d.fields {
		add(or(f.key, d.t("audit.detail")), f.value)
	}
	add(d.t("audit.ip"), d.e.RemoteIP)
	return out
}

// rfc3339 finds a time as details store it ("2026-12-24T16:00:00Z",
// "…T16:00:00.123+01:00"); compiled on first use, not at start.
var rfc3339 = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)`)
})

// times prints every stored time in s in the reader's zone.
func (d describer) times(s string) string {
	if !strings.Contains(s, "T") {
		return s
	}
	return rfc3339().ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.Parse(time.RFC3339Nano, m)
		if err != nil {
			if t, err = time.Parse("2006-01-02T15:04Z07:00", m); err != nil {
				return m
			}
		}
		return d.time(t)
	})
}

// field is a part of an event's detail text: key=value, or the whole
// text with no key when it is not written so.
type field struct{ key, value string }

// parseDetail splits "voucher=A 12 document=5 error=… (client went away)"
// into its parts: a part runs to the next " key=", a value may hold
// spaces, and an error, written last, runs to the end.
func parseDetail(s string) []field {
	if s == "" {
		return nil
	}
	words := strings.Split(s, " ")
	if _, _, ok := keyValue(words[0]); !ok {
		return []field{{value: s}}
	}
	var out []field
	for i, w := range words {
		if k, v, ok := keyValue(w); ok && (len(out) == 0 || out[len(out)-1].key != "error") {
			out = append(out, field{key: k, value: v})
			continue
		}
		if i > 0 {
			out[len(out)-1].value += " " + w
		}
	}
	return out
}

// keyValue reads "key=value" with a key of lower-case letters, digits
// and underscores.
func keyValue(w string) (key, value string, ok bool) {
	key, value, ok = strings.Cut(w, "=")
	if !ok || key == "" || strings.Trim(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "", "", false
	}
	return key, value, true
}

// linkNumber is the number of a link target ("link 7"), or the target as
// stored.
func linkNumber(target string) string {
	if n, ok := strings.CutPrefix(target, "link "); ok && n != "" {
		return n
	}
	return target
}

// approval reads an approval's actor: "Anna Lindqvist (consent link 7)"
// is the approver and the link, "consent link 7" the link alone.
func approval(actor string) (approver, link string) {
	if n, ok := strings.CutPrefix(actor, "consent link "); ok {
		return "", n
	}
	if rest, ok := strings.CutSuffix(actor, ")"); ok {
		if i := strings.LastIndex(rest, " (consent link "); i >= 0 {
			return rest[:i], rest[i+len(" (consent link "):]
		}
	}
	return actor, ""
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
