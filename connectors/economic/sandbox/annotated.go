package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Annotated errors (e-conomic/slate:source/includes/_introduction.md,
// "Annotated errors"): a 400 whose errors document mirrors the request
// payload: every property that failed validation holds
// {"errors": [{errorCode, message, value, developerHint}]} ("or a subset
// there of"), valid properties are left out, and an array's items carry
// "arrayIndex".

// annotated collects the errors of one request.
type annotated struct {
	root errNode
	// count is how many errors were added.
	count int
}

type errNode struct {
	errs  []map[string]any
	kids  map[string]*errNode
	items map[int]*errNode
}

// add records an error at path ("customer", "recipient.vatZone",
// "lines[1].product", "[0].entries.manualCustomerInvoices[2].customer").
// code is left out when empty: the documentation names codes for a few
// errors only (E06000 "does not exist", E04500 no identifiers, E04730 a
// value missing, E04740 too many decimals), and the sandbox invents none.
func (a *annotated) add(path, code, message string, value any, hint string) {
	n := &a.root
	for _, seg := range splitPath(path) {
		if seg.index >= 0 {
			if n.items == nil {
				n.items = map[int]*errNode{}
			}
			if n.items[seg.index] == nil {
				n.items[seg.index] = &errNode{}
			}
			n = n.items[seg.index]
			continue
		}
		if n.kids == nil {
			n.kids = map[string]*errNode{}
		}
		if n.kids[seg.key] == nil {
			n.kids[seg.key] = &errNode{}
		}
		n = n.kids[seg.key]
	}
	e := map[string]any{"message": message}
	if code != "" {
		e["errorCode"] = code
	}
	if value != nil {
		e["value"] = value
	}
	if hint != "" {
		e["developerHint"] = hint
	}
	n.errs = append(n.errs, e)
	a.count++
}

// missing is a required property left out. The documentation gives no
// code or words for it; these are the sandbox's.
func (a *annotated) missing(path string) {
	a.add(path, "", fmt.Sprintf("Property %s is required.", lastKey(path)), nil, "Please check your request data.")
}

// notExist is the documented E06000 "… does not exist." with a hint to
// the collection to look in.
func (a *annotated) notExist(path string, value any, collection string) {
	a.add(path, "E06000", lastKey(path)+" does not exist.", value, "Find a list of resources at https://restapi.e-conomic.com/"+collection+".")
}

// noIdentifiers is the documented E04500 of a reference with neither its
// number nor a self link.
func (a *annotated) noIdentifiers(path, idKey, collection string) {
	a.add(path, "E04500", fmt.Sprintf("No identifiers present on %s. Please include either a self link or a %s.", lastKey(path), idKey), nil,
		"Find a list of resources at https://restapi.e-conomic.com/"+collection+".")
}

// invalid is a value the sandbox refuses for a reason of its own wording.
func (a *annotated) invalid(path, message string, value any) {
	a.add(path, "", message, value, "Please check the format of your data.")
}

func (a *annotated) empty() bool { return a.count == 0 }

// doc is the "errors" document; at the root of a request that is an
// array, the items with their arrayIndex.
func (a *annotated) doc() any {
	if len(a.root.items) > 0 && len(a.root.kids) == 0 {
		return a.root.itemsDoc()
	}
	return a.root.objectDoc()
}

func (n *errNode) objectDoc() map[string]any {
	out := map[string]any{}
	if len(n.errs) > 0 {
		out["errors"] = n.errs
	}
	for k, kid := range n.kids {
		if len(kid.items) > 0 {
			out[k] = kid.itemsDoc()
			continue
		}
		out[k] = kid.objectDoc()
	}
	return out
}

func (n *errNode) itemsDoc() []map[string]any {
	idx := make([]int, 0, len(n.items))
	for i := range n.items {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]map[string]any, 0, len(idx))
	for _, i := range idx {
		d := n.items[i].objectDoc()
		d["arrayIndex"] = i
		out = append(out, d)
	}
	return out
}

type pathSeg struct {
	key   string
	index int
}

var segRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`) })

func splitPath(p string) []pathSeg {
	var out []pathSeg
	for _, m := range segRE().FindAllStringSubmatch(p, -1) {
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			out = append(out, pathSeg{index: i})
			continue
		}
		out = append(out, pathSeg{key: m[1], index: -1})
	}
	return out
}

func lastKey(p string) string {
	segs := splitPath(p)
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].index < 0 {
			return segs[i].key
		}
	}
	return p
}

// refuse answers the documented 400 with the errors found.
func (c *call) refuse(a *annotated) {
	c.json(http.StatusBadRequest, map[string]any{
		"message": "Validation error.", "developerHint": "Inspect validation errors and correct your request.",
		"logId": randomToken()[:16], "httpStatusCode": http.StatusBadRequest, "errors": a.doc(),
		"logTime": c.s.now().Format("2006-01-02T15:04:05"),
	})
}

// created answers 201 with the created resource and a Location header to
// it ("When you create resources, this is what you get", _introduction.md).
func (c *call) created(self string, v any) {
	if self != "" {
		c.w.Header().Set("Location", self)
	}
	c.json(http.StatusCreated, v)
}

// maxJSONBody bounds a JSON request (not documented; the sandbox's).
const maxJSONBody = 4 << 20

// readBody reads a JSON request body: an object or an array. The REST API
// is a JSON API: another Content-Type is a 415 (documented status); a body
// that is no JSON is a 400 (the words are the sandbox's).
func (c *call) readBody() (any, bool) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "application/json" {
		c.fail(http.StatusUnsupportedMediaType, "The API accepts application/json only.")
		return nil, false
	}
	dec := json.NewDecoder(io.LimitReader(c.r.Body, maxJSONBody))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		c.fail(http.StatusBadRequest, "The request body is not valid JSON.")
		return nil, false
	}
	if dec.More() {
		c.fail(http.StatusBadRequest, "The request body holds more than one JSON value.")
		return nil, false
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, true
	}
	c.fail(http.StatusBadRequest, "The request body must be a JSON object.")
	return nil, false
}

// object reads a JSON object request body.
func (c *call) object() (doc, bool) {
	v, ok := c.readBody()
	if !ok {
		return nil, false
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		c.fail(http.StatusBadRequest, "The request body must be a JSON object.")
		return nil, false
	}
	return doc(m), true
}

// doc is a decoded JSON object of a request, numbers kept as written.
type doc map[string]any

func (d doc) has(k string) bool { _, ok := d[k]; return ok }

func (d doc) obj(k string) (doc, bool) {
	m, ok := d[k].(map[string]any)
	return doc(m), ok
}

func (d doc) str(k string) (string, bool) {
	s, ok := d[k].(string)
	return s, ok
}

func (d doc) number(k string) (json.Number, bool) {
	n, ok := d[k].(json.Number)
	return n, ok
}

func (d doc) float(k string) (float64, bool) {
	n, ok := d.number(k)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func (d doc) int(k string) (int64, bool) {
	n, ok := d.number(k)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func (d doc) boolean(k string) bool {
	b, _ := d[k].(bool)
	return b
}

// nulls records every null in v: "We do not generally accept null as a
// value and a validation exception should be expected. To null a property
// you must exclude it from your JSON" (_introduction.md, "Nulling"). The
// words are the sandbox's.
func nulls(a *annotated, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if val == nil {
				a.invalid(p, "Property "+k+" cannot be null; leave it out instead.", nil)
				continue
			}
			nulls(a, p, val)
		}
	case []any:
		for i, val := range x {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			if val == nil {
				a.invalid(p, "An array item cannot be null.", nil)
				continue
			}
			nulls(a, p, val)
		}
	}
}

// ref resolves a reference to another resource, by its number or by its
// self link ("you are free to reference the entity via either id or
// self-link", _introduction.md, "Required Properties"). present is false
// when d has no such property.
func ref(a *annotated, d doc, path, key, idKey, collection string) (n int64, present, ok bool) {
	if !d.has(key) {
		return 0, false, false
	}
	r, isObj := d.obj(key)
	if !isObj {
		a.invalid(path, "Property "+key+" must be an object.", nil)
		return 0, true, false
	}
	if r.has(idKey) {
		n, isInt := r.int(idKey)
		if !isInt {
			a.invalid(path+"."+idKey, "Property "+idKey+" must be an integer.", r[idKey])
			return 0, true, false
		}
		return n, true, true
	}
	if self, isStr := r.str("self"); isStr && self != "" {
		seg := self[strings.LastIndex(self, "/")+1:]
		if n, err := strconv.ParseInt(seg, 10, 64); err == nil {
			return n, true, true
		}
		a.invalid(path+".self", "The self link of "+key+" names no resource.", self)
		return 0, true, false
	}
	a.noIdentifiers(path, idKey, collection)
	return 0, true, false
}

// text reads an optional string property of at most max characters.
func text(a *annotated, d doc, path, key string, maxLen int) (string, bool) {
	if !d.has(key) {
		return "", true
	}
	s, ok := d.str(key)
	if !ok {
		a.invalid(path, "Property "+key+" must be a string.", d[key])
		return "", false
	}
	if len([]rune(s)) > maxLen {
		a.invalid(path, fmt.Sprintf("Property %s is longer than %d characters.", key, maxLen), nil)
		return "", false
	}
	return s, true
}

// date reads an optional full-date (YYYY-MM-DD) property.
func date(a *annotated, d doc, path, key string) (string, bool) {
	if !d.has(key) {
		return "", true
	}
	s, ok := d.str(key)
	if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
		a.invalid(path, "Property "+key+" must be a date formatted YYYY-MM-DD.", d[key])
		return "", false
	}
	return s, true
}

// twoDecimals is the documented E04740: "unitNetPrice scale cannot be
// greater then two decimal places."
func twoDecimals(a *annotated, d doc, path, key string) (float64, bool) {
	n, ok := d.number(key)
	if !ok {
		a.invalid(path, "Property "+key+" must be a number.", d[key])
		return 0, false
	}
	f, err := n.Float64()
	if err != nil {
		a.invalid(path, "Property "+key+" must be a number.", d[key])
		return 0, false
	}
	s := strings.TrimRight(strings.ToLower(n.String()), "0")
	if i := strings.IndexByte(s, '.'); i >= 0 && !strings.Contains(s, "e") && len(s)-i-1 > 2 {
		a.add(path, "E04740", key+" scale cannot be greater then two decimal places.", f, "Please check the format of your data.")
		return 0, false
	}
	return f, true
}
