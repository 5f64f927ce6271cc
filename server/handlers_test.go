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

// TestHandlersAreShort fails when a handler, any method of Server that takes
// an echo.Context and returns an error, grows past maxHandlerLines lines.
func TestHandlersAreShort(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
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
			if !ok || fn.Recv == nil || fn.Body == nil || !isHandler(fn) {
				continue
			}
			handlers++
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxHandlerLines {
				t.Errorf("%s: handler %s is %d lines, want at most %d", fset.Position(fn.Pos()), fn.Name.Name, lines, maxHandlerLines)
			}
		}
	}
	if handlers < 40 {
		t.Errorf("found %d handlers; the test no longer recognises them", handlers)
	}
}

// isHandler: func (s *Server) name(c echo.Context) error.
func isHandler(fn *ast.FuncDecl) bool {
	recv, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	if id, ok := recv.X.(*ast.Ident); !ok || id.Name != "Server" {
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
