package sandbox

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// parseFilter reads e-conomic's filter syntax: predicates
// "<property>$<op>:<value>" joined by $and: or $or: ($and binds tighter),
// with the operators eq ne gt gte lt lte like in nin and the escapes $$ $(
// $) $* $, $[ $]. Parentheses are refused (not supported by the sandbox).
// A property not in fields, which cannot be filtered, is a 400 as at
// e-conomic.
func parseFilter(f string, fields map[string]func(map[string]any) string) (func(map[string]any) bool, error) {
	var ors [][]func(map[string]any) bool
	var ands []func(map[string]any) bool
	rest := f
	for {
		pred, tail, err := parsePredicate(rest, fields)
		if err != nil {
			return nil, err
		}
		ands = append(ands, pred)
		switch {
		case tail == "":
			ors = append(ors, ands)
			return func(m map[string]any) bool {
				for _, and := range ors {
					ok := true
					for _, p := range and {
						if !p(m) {
							ok = false
							break
						}
					}
					if ok {
						return true
					}
				}
				return false
			}, nil
		case strings.HasPrefix(tail, "$and:"):
			rest = tail[len("$and:"):]
		case strings.HasPrefix(tail, "$or:"):
			ors = append(ors, ands)
			ands = nil
			rest = tail[len("$or:"):]
		default:
			return nil, fmt.Errorf("The filter %q is not valid.", f)
		}
	}
}

var ops = []string{"$eq:", "$ne:", "$gte:", "$gt:", "$lte:", "$lt:", "$like:", "$in:", "$nin:"}

func parsePredicate(s string, fields map[string]func(map[string]any) string) (func(map[string]any) bool, string, error) {
	if strings.HasPrefix(s, "(") {
		return nil, "", fmt.Errorf("The filter's parentheses are not supported here.")
	}
	i := strings.Index(s, "$")
	if i <= 0 {
		return nil, "", fmt.Errorf("The filter %q has no operator.", s)
	}
	prop := s[:i]
	get, ok := fields[prop]
	if !ok {
		return nil, "", fmt.Errorf("Filtering on the property %q is not allowed.", prop)
	}
	var op string
	for _, o := range ops {
		if strings.HasPrefix(s[i:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, "", fmt.Errorf("The filter on %q has an unknown operator.", prop)
	}
	// The value runs to the next unescaped $and: or $or:.
	var val strings.Builder
	rest := s[i+len(op):]
	j := 0
	for j < len(rest) {
		if rest[j] == '$' {
			if strings.HasPrefix(rest[j:], "$and:") || strings.HasPrefix(rest[j:], "$or:") {
				break
			}
			if j+1 < len(rest) && strings.ContainsRune("$()*,[]", rune(rest[j+1])) {
				val.WriteByte(rest[j+1])
				j += 2
				continue
			}
			return nil, "", fmt.Errorf("The filter value on %q has an unescaped $.", prop)
		}
		val.WriteByte(rest[j])
		j++
	}
	v := val.String()
	tail := rest[j:]
	switch op {
	case "$in:", "$nin:":
		if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
			return nil, "", fmt.Errorf("The filter's list on %q must be in brackets.", prop)
		}
		list := strings.Split(v[1:len(v)-1], ",")
		if len(list) > 200 {
			return nil, "", fmt.Errorf("The filter's list on %q has more than 200 values.", prop)
		}
		in := op == "$in:"
		return func(m map[string]any) bool { return slices.Contains(list, get(m)) == in }, tail, nil
	case "$like:":
		pat := strings.ToLower(v)
		return func(m map[string]any) bool { return like(strings.ToLower(get(m)), pat) }, tail, nil
	}
	return func(m map[string]any) bool {
		c := compare(get(m), v)
		switch op {
		case "$eq:":
			return c == 0
		case "$ne:":
			return c != 0
		case "$gt:":
			return c > 0
		case "$gte:":
			return c >= 0
		case "$lt:":
			return c < 0
		}
		return c <= 0
	}, tail, nil
}

// compare compares numerically when both are numbers, else as text
// (dates compare right as text).
func compare(a, b string) int {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		return cmp.Compare(fa, fb)
	}
	return strings.Compare(a, b)
}

// like matches * as any run of characters.
func like(s, pat string) bool {
	parts := strings.Split(pat, "*")
	if len(parts) == 1 {
		return s == pat
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// sortItems sorts by "prop,-prop2" ("~" for alphabetic); an unknown
// property is a 400.
func sortItems(items []map[string]any, spec string, fields map[string]func(map[string]any) string) error {
	type key struct {
		get   func(map[string]any) string
		desc  bool
		alpha bool
	}
	var keys []key
	for _, p := range strings.Split(spec, ",") {
		k := key{}
		for len(p) > 0 && (p[0] == '-' || p[0] == '~') {
			if p[0] == '-' {
				k.desc = true
			} else {
				k.alpha = true
			}
			p = p[1:]
		}
		get, ok := fields[p]
		if !ok {
			return fmt.Errorf("Sorting on the property %q is not allowed.", p)
		}
		k.get = get
		keys = append(keys, k)
	}
	slices.SortStableFunc(items, func(a, b map[string]any) int {
		for _, k := range keys {
			var c int
			if k.alpha {
				c = strings.Compare(k.get(a), k.get(b))
			} else {
				c = compare(k.get(a), k.get(b))
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return nil
}
