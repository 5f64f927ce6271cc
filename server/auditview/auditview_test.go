package auditview_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/server/auditview"
	"bilag/views"
)

// root is the module's directory, from this package's.
const root = "../.."

// auditActions are the audit actions db declares: every string constant
// named Audit… in its source, by name.
func auditActions(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	files, err := filepath.Glob(filepath.Join(root, "db", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Audit") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[n.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found %d audit actions in db, want every one (%v)", len(out), out)
	}
	return out
}

// writtenActions walks the code that writes audit rows (an AuditEvent's
// Action, the server's audit and audited helpers) and returns the db
// constants it names; an action written as a literal string is an error,
// since no list would know it.
func writtenActions(t *testing.T) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		action := func(e ast.Expr) {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "db" && strings.HasPrefix(x.Sel.Name, "Audit") {
					names = append(names, x.Sel.Name)
				}
			case *ast.Ident:
				if strings.HasPrefix(x.Name, "Audit") {
					names = append(names, x.Name)
				}
			case *ast.BasicLit:
				t.Errorf("%s writes the audit action %s as a literal: make it a db constant", fset.Position(x.Pos()), x.Value)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isAuditEvent(n.Type) {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
							action(kv.Value)
						}
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					switch {
					case sel.Sel.Name == "audit" && len(n.Args) > 1:
						action(n.Args[1])
					case sel.Sel.Name == "audited" && len(n.Args) > 0:
						action(n.Args[0])
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 20 {
		t.Fatalf("found %d places that write audit rows, want every one", len(names))
	}
	return names
}

func isAuditEvent(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		return x.Sel.Name == "AuditEvent"
	case *ast.Ident:
		return x.Name == "AuditEvent"
	}
	return false
}

func renderer(t *testing.T) *views.Renderer {
	t.Helper()
	r, err := views.New(views.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEveryActionHasASentence (issue 25 item 10): every audit action Bilag
// declares, and every one its code writes, reads as a sentence in every
// language Bilag offers, not as its code or the English words.
func TestEveryActionHasASentence(t *testing.T) {
	actions := auditActions(t)
	for _, name := range writtenActions(t) {
		if _, ok := actions[name]; !ok {
			t.Errorf("the code writes %s, which db does not declare as a string constant", name)
		}
	}
	w := renderer(t)
	zone := time.FixedZone("CET", 3600)
	user := int64(3)
	for _, name := range slices.Sorted(maps.Keys(actions)) {
		a := actions[name]
		e := db.AuditEvent{At: time.Date(2026, 11, 26, 0, 50, 12, 0, time.UTC), UserID: &user, Actor: "anna@firm.test", Action: a,
			Target: "link 7", Detail: "voucher=A 12 document=5", RemoteIP: "192.0.2.7"}
		en := auditview.Describe(w, auditview.Reader{Lang: "en", Zone: zone, Users: map[int64]string{user: "Anna Lindqvist"}}, e)
		if en.Sentence == "" || strings.Contains(en.Sentence, "audit.") || strings.HasSuffix(en.Sentence, ": "+a) {
			t.Errorf("%s (%q) has no sentence: %q", name, a, en.Sentence)
			continue
		}
		for _, lang := range views.Languages()[1:] {
			got := auditview.Describe(w, auditview.Reader{Lang: lang, Zone: zone, Users: map[int64]string{user: "Anna Lindqvist"}}, e)
			if got.Sentence == en.Sentence || strings.Contains(got.Sentence, "audit.") {
				t.Errorf("%s (%q) in %s = %q, the English words or none", name, a, lang, got.Sentence)
			}
		}
	}
}

// rawTime is an RFC 3339 time as stored (UTC, "…Z").
var rawTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z`)

// TestDescribe: who did what to what, as a person says it, and the stored
// fields as details with every time in the reader's zone.
func TestDescribe(t *testing.T) {
	w := renderer(t)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	erik := int64(4)
	reader := auditview.Reader{Lang: "en", Zone: stockholm, Users: map[int64]string{erik: "Erik Ek"}}
	at := time.Date(2026, 11, 26, 0, 50, 12, 0, time.UTC)
	deleteText := "delete"
	if w.HasText("netvisor.imports.act.delete") {
		deleteText = w.Translate("en", "netvisor.imports.act.delete")
	}
	tests := []struct {
		name     string
		e        db.AuditEvent
		sentence string
		details  map[string]string
	}{
		{"approval with the approver's name", db.AuditEvent{Action: db.AuditConnect, Actor: "Anna Lindqvist (consent link 7)", Target: "eaccounting",
			Detail: "Fjällbacka Snickeri AB 556812-3474"},
			w.Translate("en", "audit.says.connect", "Anna Lindqvist", w.ConnectorName("en", "eaccounting"), "7"),
			map[string]string{w.Translate("en", "audit.actor"): "Anna Lindqvist (consent link 7)", w.Translate("en", "audit.detail"): "Fjällbacka Snickeri AB 556812-3474"}},
		{"a document opened", db.AuditEvent{Action: db.AuditDocumentOpen, UserID: &erik, Actor: "erik@firm.test", Target: "invoice.pdf",
			Detail: "voucher=A 12 document=5 kind=invoice bytes=1234 sha256=ab", RemoteIP: "192.0.2.7"},
			w.Translate("en", "audit.says.document_open", "Erik Ek", "invoice.pdf", "A 12"),
			map[string]string{w.Translate("en", "audit.actor"): "erik@firm.test", "voucher": "A 12", "bytes": "1234", w.Translate("en", "audit.ip"): "192.0.2.7"}},
		{"a link, its expiry in the reader's zone", db.AuditEvent{Action: db.AuditLinkCreate, UserID: &erik, Actor: "erik@firm.test", Target: "link 9",
			Detail: "connector=eaccounting expires=2026-12-24T16:00:00Z expected_org=556812-3474"},
			w.Translate("en", "audit.says.link_create", "Erik Ek", "9"),
			map[string]string{"expires": "2026-12-24 17:00:00 CET", "expected_org": "556812-3474"}},
		{"an action on a sent invoice, refused", db.AuditEvent{Action: db.AuditInvoiceAction, UserID: &erik, Actor: "erik@firm.test", Target: "netvisor",
			Detail: "order=1201 key=7 action=delete outcome=refused"},
			w.Translate("en", "audit.says.invoice_action", "Erik Ek", "1201", w.ConnectorName("en", "netvisor"), deleteText, w.Translate("en", "imports.status.refused")),
			map[string]string{"key": "7", "action": "delete"}},
		{"a time inside free text", db.AuditEvent{Action: db.AuditConnectionEnded, Actor: "eaccounting", Target: "eaccounting",
			Detail: "grant revoked at 2026-07-01T10:00:00.5Z by the upstream"},
			w.Translate("en", "audit.says.connection_ended", w.ConnectorName("en", "eaccounting")),
			map[string]string{w.Translate("en", "audit.detail"): "grant revoked at 2026-07-01 12:00:00 CEST by the upstream"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.e.At = at
			row := auditview.Describe(w, reader, tt.e)
			if row.Sentence != tt.sentence {
				t.Errorf("Sentence = %q, want %q", row.Sentence, tt.sentence)
			}
			if row.At != "2026-11-26 01:50:12 CET" {
				t.Errorf("At = %q, want the time in the reader's zone, naming it", row.At)
			}
			got := map[string]string{}
			for _, d := range row.Details {
				got[d.Label] = d.Value
				if rawTime.MatchString(d.Value) {
					t.Errorf("detail %s = %q holds a raw UTC time", d.Label, d.Value)
				}
			}
			for k, v := range tt.details {
				if got[k] != v {
					t.Errorf("detail %q = %q, want %q (details %q)", k, got[k], v, row.Details)
				}
			}
		})
	}
}
