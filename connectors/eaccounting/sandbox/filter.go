package sandbox

import (
	"cmp"
	"strconv"
	"strings"
	"time"
)

// The API is ASP.NET OData, so $filter follows OData v4 literal rules:
// dates and date-times are unquoted (2024-01-01, 2024-01-01T00:00:00Z),
// GUIDs are unquoted, strings are in single quotes. A quoted date or the
// OData v3 form datetime'…' is a type error there, so the sandbox refuses it
// with 6001 rather than being kinder than the service it stands in for.
// Visma does not document the exact syntax; this is the stated choice.

type fieldKind int

const (
	kNull fieldKind = iota
	kTime
	kNumber
	kString
	kGUID
	kBool
)

type value struct {
	kind fieldKind
	t    time.Time
	n    float64
	s    string
	g    uid
	b    bool
}

func compareValues(a, b value) int {
	if a.kind != b.kind {
		return cmp.Compare(a.kind, b.kind)
	}
	switch a.kind {
	case kTime:
		return a.t.Compare(b.t)
	case kNumber:
		return cmp.Compare(a.n, b.n)
	case kString:
		return cmp.Compare(strings.ToLower(a.s), strings.ToLower(b.s))
	case kGUID:
		return strings.Compare(a.g.String(), b.g.String())
	case kBool:
		switch {
		case a.b == b.b:
			return 0
		case a.b:
			return 1
		}
		return -1
	}
	return 0
}

type filterError struct {
	code int
	msg  string
}

type filterExpr interface {
	eval(get func(field string) value) bool
}

type cmpExpr struct {
	field, op string
	lit       value
}

func (e cmpExpr) eval(get func(string) value) bool {
	v := get(e.field)
	if v.kind == kNull || e.lit.kind == kNull {
		same := v.kind == e.lit.kind
		switch e.op {
		case "eq":
			return same
		case "ne":
			return !same
		}
		return false
	}
	c := compareValues(v, e.lit)
	switch e.op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	default:
		return c <= 0
	}
}

type boolExpr struct {
	and  bool
	l, r filterExpr
}

func (e boolExpr) eval(get func(string) value) bool {
	if e.and {
		return e.l.eval(get) && e.r.eval(get)
	}
	return e.l.eval(get) || e.r.eval(get)
}

type notExpr struct{ x filterExpr }

func (e notExpr) eval(get func(string) value) bool { return !e.x.eval(get) }

func tokenize(s string) ([]string, *filterError) {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, &filterError{6000, "QueryParameterError - Error parsing $filter: unterminated string literal."}
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '(' && s[j] != ')' && s[j] != '\t' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

type filterParser struct {
	toks   []string
	pos    int
	fields map[string]fieldKind
}

func canonicalField(fields map[string]fieldKind, name string) (string, bool) {
	for f := range fields {
		if strings.EqualFold(f, name) {
			return f, true
		}
	}
	return "", false
}

func parseFilter(s string, fields map[string]fieldKind) (filterExpr, *filterError) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks, fields: fields}
	e, ferr := p.or()
	if ferr != nil {
		return nil, ferr
	}
	if p.pos != len(p.toks) {
		return nil, &filterError{6000, "QueryParameterError - Error parsing $filter: unexpected '" + p.toks[p.pos] + "'."}
	}
	return e, nil
}

func (p *filterParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *filterParser) or() (filterExpr, *filterError) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "or") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = boolExpr{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) and() (filterExpr, *filterError) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "and") {
		p.pos++
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = boolExpr{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) term() (filterExpr, *filterError) {
	syntax := func(msg string) *filterError {
		return &filterError{6000, "QueryParameterError - Error parsing $filter: " + msg}
	}
	switch t := p.peek(); {
	case t == "":
		return nil, syntax("expression expected.")
	case t == "(":
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, syntax("')' expected.")
		}
		p.pos++
		return e, nil
	case strings.EqualFold(t, "not"):
		p.pos++
		e, err := p.term()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	if p.pos+3 > len(p.toks) {
		return nil, syntax("expected 'Property operator value'.")
	}
	name, op, lit := p.toks[p.pos], strings.ToLower(p.toks[p.pos+1]), p.toks[p.pos+2]
	p.pos += 3
	field, ok := canonicalField(p.fields, name)
	if !ok {
		return nil, syntax("could not find a property named '" + name + "'.")
	}
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le":
	default:
		return nil, syntax("unknown operator '" + op + "'.")
	}
	v, ferr := parseLiteral(p.fields[field], lit)
	if ferr != nil {
		return nil, ferr
	}
	return cmpExpr{field: field, op: op, lit: v}, nil
}

func parseLiteral(kind fieldKind, lit string) (value, *filterError) {
	bad := func(what string) (value, *filterError) {
		return value{}, &filterError{6001, "InvalidInput - The value " + lit + " is not a valid " + what + " literal."}
	}
	if lit == "null" {
		return value{kind: kNull}, nil
	}
	switch kind {
	case kTime:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
			if t, err := time.Parse(layout, lit); err == nil {
				return value{kind: kTime, t: t.UTC()}, nil
			}
		}
		return bad("date")
	case kNumber:
		n, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return bad("number")
		}
		return value{kind: kNumber, n: n}, nil
	case kString:
		if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			return bad("string")
		}
		return value{kind: kString, s: strings.ReplaceAll(lit[1:len(lit)-1], "''", "'")}, nil
	case kGUID:
		g, ok := parseUID(lit)
		if !ok {
			return bad("GUID")
		}
		return value{kind: kGUID, g: g}, nil
	default:
		b, err := strconv.ParseBool(lit)
		if err != nil {
			return bad("boolean")
		}
		return value{kind: kBool, b: b}, nil
	}
}
