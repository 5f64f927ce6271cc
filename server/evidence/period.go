package evidence

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bilag/db"
)

// The kinds of period a pack covers.
const (
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
	PeriodYear    = "year"
)

// Period is the days a pack covers, both included.
type Period struct {
	Kind     string
	From, To time.Time
}

// ErrBadPeriod is a period that cannot be read, or a fiscal year the
// company does not have.
var ErrBadPeriod = errors.New("evidence: no such period")

// ParsePeriod reads a period as the form sends it: a month "2025-03", a
// quarter "2025-Q1", or a fiscal year by its id among years.
func ParsePeriod(kind, value string, years []db.FiscalYear) (Period, error) {
	value = strings.TrimSpace(value)
	switch kind {
	case PeriodMonth:
		t, err := time.Parse("2006-01", value)
		if err != nil {
			return Period{}, fmt.Errorf("month %q: %w", value, ErrBadPeriod)
		}
		return Period{Kind: kind, From: t, To: t.AddDate(0, 1, -1)}, nil
	case PeriodQuarter:
		y, q, ok := strings.Cut(value, "-Q")
		year, err1 := strconv.Atoi(y)
		n, err2 := strconv.Atoi(q)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > 4 || year < 1900 || year > 9999 {
			return Period{}, fmt.Errorf("quarter %q: %w", value, ErrBadPeriod)
		}
		from := time.Date(year, time.Month(3*n-2), 1, 0, 0, 0, 0, time.UTC)
		return Period{Kind: kind, From: from, To: from.AddDate(0, 3, -1)}, nil
	case PeriodYear:
		for _, y := range years {
			if y.ExternalID == value {
				return Period{Kind: kind, From: day(y.StartDate), To: day(y.EndDate)}, nil
			}
		}
		return Period{}, fmt.Errorf("fiscal year %q: %w", value, ErrBadPeriod)
	}
	return Period{}, fmt.Errorf("kind %q: %w", kind, ErrBadPeriod)
}

// String is how the period is named in the audit trail and file names.
func (p Period) String() string {
	switch p.Kind {
	case PeriodMonth:
		return p.From.Format("2006-01")
	case PeriodQuarter:
		return fmt.Sprintf("%d-Q%d", p.From.Year(), (int(p.From.Month())+2)/3)
	}
	return p.From.Format(time.DateOnly) + "–" + p.To.Format(time.DateOnly)
}

// PeriodOf is a stored pack's period.
func PeriodOf(pk *db.Pack) Period {
	return Period{Kind: pk.Period, From: day(pk.PeriodFrom), To: day(pk.PeriodTo)}
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
