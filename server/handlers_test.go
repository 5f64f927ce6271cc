package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// maxHandlerLines keeps handlers thin: read the request, make one call,
// render. The work itself belongs in a package that can be tested without
// HTTP (server/connections, db).
const maxHandlerLines = 40

// handlerReceivers are the types whose methods serve routes, by the
// directory of their package: the portal's Server, and the accountant's
// side's Handler (server/accountant).
var handlerReceivers = map[string]string{".": "Server", "accountant": "Handler"}

// TestHandlersAreShort fails when a handler, any method of Server (or of
// the accountant's Handler) that takes an echo.Context and returns an
// error, grows past maxHandlerLines lines.
func TestHandlersAreShort(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	handlers := 0
	for dir, recv := range handlerReceivers {
		handlers += walkHandlers(t, fset, dir, recv)
	}
	if handlers < 40 {
		t.Errorf("found %d handlers; the test no longer recognises them", handlers)
	}
}

// walkHandlers checks the handlers of recv in dir, and counts them.
func walkHandlers(t *testing.T, fset *token.FileSet, dir, recv string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	handlers := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Body == nil || !isHandler(fn, recv) {
				continue
			}
			handlers++
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxHandlerLines {
				t.Errorf("%s: handler %s is %d lines, want at most %d", fset.Position(fn.Pos()), fn.Name.Name, lines, maxHandlerLines)
			}
		}
	}
	if handlers == 0 {
		t.Errorf("found no handlers of %s in %s; the test no longer recognises them", recv, dir)
	}
	return handlers
}

// isHandler: func (s *<recv>) name(c echo.Context) error.
func isHandler(fn *ast.FuncDecl, recvName string) bool {
	recv, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	if id, ok := recv.X.(*ast.Ident); !ok || id.Name != recvName {
		return false
	}
	ps, rs := fn.Type.Params.List, fn.Type.Results
	if len(ps) != 1 || len(ps[0].Names) > 1 || rs == nil || len(rs.List) != 1 {
		return false
	}
	sel, ok := ps[0].Type.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Context" {
		return false
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "echo" {
		return false
	}
	res, ok := rs.List[0].Type.(*ast.Ident)
	return ok && res.Name == "error"
}
