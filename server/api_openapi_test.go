package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The API's responses are checked against openapi.json with a JSON Schema
// 2020-12 validator (OpenAPI 3.1 schemas are JSON Schema): the operation
// is found by path template and method, the response by status, and the
// body is validated against that response's schema. The schemas close
// every object (additionalProperties: false, checked below), so a property
// the document does not declare fails as surely as a missing one.

const openAPIURL = "file:///bilag/openapi.json"

type openAPISpec struct {
	raw      []byte
	doc      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

var (
	specOnce sync.Once
	spec     *openAPISpec
	specErr  error
)

func loadSpec(t *testing.T) *openAPISpec {
	t.Helper()
	specOnce.Do(func() {
		raw, err := os.ReadFile("openapi.json")
		if err != nil {
			specErr = err
			return
		}
		s := &openAPISpec{raw: raw, schemas: map[string]*jsonschema.Schema{}}
		if err := json.Unmarshal(raw, &s.doc); err != nil {
			specErr = fmt.Errorf("openapi.json: %w", err)
			return
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			specErr = err
			return
		}
		s.compiler = jsonschema.NewCompiler()
		s.compiler.DefaultDraft(jsonschema.Draft2020)
		s.compiler.AssertFormat()
		if err := s.compiler.AddResource(openAPIURL, inst); err != nil {
			specErr = err
			return
		}
		spec = s
	})
	if specErr != nil {
		t.Fatalf("load openapi.json: %v", specErr)
	}
	return spec
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schema compiles the schema at a JSON pointer of the document.
func (s *openAPISpec) schema(ptr string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[ptr]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(openAPIURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	s.schemas[ptr] = sch
	return sch, nil
}

// template finds the documented path a request path matches.
func (s *openAPISpec) template(path string) (string, bool) {
	rel := strings.TrimPrefix(path, "/api/v1")
	if i := strings.IndexByte(rel, '?'); i >= 0 {
		rel = rel[:i]
	}
	got := strings.Split(rel, "/")
	best, bestLiteral := "", -1
	for tpl := range s.doc["paths"].(map[string]any) {
		want := strings.Split(tpl, "/")
		if len(want) != len(got) {
			continue
		}
		ok, literal := true, 0
		for i := range want {
			if strings.HasPrefix(want[i], "{") {
				continue
			}
			if want[i] != got[i] {
				ok = false
				break
			}
			literal++
		}
		// A literal segment beats a parameter (".../lookup" over ".../{voucherID}").
		if ok && literal > bestLiteral {
			best, bestLiteral = tpl, literal
		}
	}
	return best, best != ""
}

// resolve follows a $ref inside the document, returning the object and
// its JSON pointer.
func (s *openAPISpec) resolve(v map[string]any, ptr string) (map[string]any, string) {
	for {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v, ptr
		}
		ptr = strings.TrimPrefix(ref, "#")
		var cur any = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			cur = cur.(map[string]any)[part]
		}
		v = cur.(map[string]any)
	}
}

// check validates one API response against the document.
func (s *openAPISpec) check(t *testing.T, method, path string, r *response) {
	t.Helper()
	what := method + " " + path
	tpl, ok := s.template(path)
	if !ok {
		// A path the document does not have exists for nobody: it answers
		// 401 without a valid token and 404 with one, both an Error.
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound {
			t.Errorf("%s: no path of openapi.json matches, and the status is %d", what, r.Status)
			return
		}
		s.validate(t, what, "/components/schemas/Error", r)
		return
	}
	op, ok := s.doc["paths"].(map[string]any)[tpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Errorf("%s: openapi.json has no %s operation on %s", what, method, tpl)
		return
	}
	status := strconv.Itoa(r.Status)
	res, ok := op["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		t.Errorf("%s: status %d is not documented for %s %s (body %.300s)", what, r.Status, method, tpl, r.Body)
		return
	}
	res, resPtr := s.resolve(res, "/paths/"+pointerEscape(tpl)+"/"+strings.ToLower(method)+"/responses/"+status)
	for name, h := range mapOf(res["headers"]) {
		if req, _ := mapOf(h)["required"].(bool); req && r.Header.Get(name) == "" {
			t.Errorf("%s: documented header %s is missing", what, name)
		}
	}
	content := mapOf(res["content"])
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Errorf("%s: Content-Type %q: %v", what, r.Header.Get("Content-Type"), err)
		return
	}
	media, ok := content[mt]
	if !ok {
		t.Errorf("%s: Content-Type %s is not documented for status %d (documented: %v)", what, mt, r.Status, keysOf(content))
		return
	}
	if mt != "application/json" {
		return
	}
	if _, ok := mapOf(media)["schema"]; !ok {
		t.Errorf("%s: no schema for %s", what, mt)
		return
	}
	s.validate(t, what, resPtr+"/content/"+pointerEscape(mt)+"/schema", r)
}

// validate checks a JSON body against the schema at ptr.
func (s *openAPISpec) validate(t *testing.T, what, ptr string, r *response) {
	t.Helper()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, r.Header.Get("Content-Type"))
		return
	}
	sch, err := s.schema(ptr)
	if err != nil {
		t.Fatalf("%s: compile schema %s: %v", what, ptr, err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.Body))
	if err != nil {
		t.Errorf("%s: body is not JSON: %v\n%.300s", what, err, r.Body)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: body does not match openapi.json:\n%v\nbody: %.600s", what, err, r.Body)
	}
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIDocument checks the document itself: it is served as it is
// in the repository, every object schema is closed, and its paths are
// exactly the API's routes.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := loadSpec(t)

	r := e.browser().get("/api/v1/openapi.json")
	wantStatus(t, "GET openapi.json", r, http.StatusOK)
	if r.Body != string(s.raw) {
		t.Errorf("GET /api/v1/openapi.json does not serve server/openapi.json")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("openapi.json Content-Type = %q, want application/json", ct)
	}
	if v, _ := s.doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	s.check(t, http.MethodGet, "/api/v1/openapi.json", r)

	// Every object with properties forbids others, or "no undocumented
	// properties" would not be checked at all.
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["properties"]; ok {
				if ap, ok := v["additionalProperties"].(bool); !ok || ap {
					t.Errorf("schema %s has properties but not additionalProperties: false", ptr)
				}
			}
			for k, c := range v {
				walk(ptr+"/"+pointerEscape(k), c)
			}
		case []any:
			for i, c := range v {
				walk(ptr+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("", s.doc["components"])
	walk("", s.doc["paths"])

	// Each component schema compiles.
	for name := range mapOf(mapOf(s.doc["components"])["schemas"]) {
		if _, err := s.schema("/components/schemas/" + pointerEscape(name)); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}

	// The documented operations are the routes under /api/v1, and back.
	var documented, routed []string
	for tpl, item := range mapOf(s.doc["paths"]) {
		for m := range mapOf(item) {
			if m != "parameters" {
				documented = append(documented, strings.ToUpper(m)+" /api/v1"+tpl)
			}
		}
	}
	for _, rt := range e.srv.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if !strings.HasPrefix(path, "/api/") || strings.HasSuffix(path, "*") || path == "/api/v1" {
			continue
		}
		parts := strings.Split(path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		routed = append(routed, method+" "+strings.Join(parts, "/"))
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if !slices.Equal(documented, routed) {
		t.Errorf("documented operations:\n  %s\nrouted:\n  %s", strings.Join(documented, "\n  "), strings.Join(routed, "\n  "))
	}
}
