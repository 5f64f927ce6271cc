package connectors

import (
	"errors"
	"fmt"
	"time"
)

// RefusalReason is why an upstream refused a read, in words every upstream
// shares; the server tells a person what to do about each.
type RefusalReason string

// The reasons an upstream refuses that Bilag can name.
const (
	// RefusedNoBookkeeping: the company's product has no bookkeeping, so
	// vouchers and their files cannot be read.
	RefusedNoBookkeeping RefusalReason = "no_bookkeeping"
	// RefusedNoInvoicing: the company's product has no invoicing, so an
	// invoice the upstream would make (a customer-invoice PDF) cannot be read.
	RefusedNoInvoicing RefusalReason = "no_invoicing"
	// RefusedProduct: the company's product lacks the part read, and the
	// upstream did not say which.
	RefusedProduct RefusalReason = "product"
	// RefusedPermission: the user whose grant Bilag holds lacks permission
	// in an area (Refused.Area), or has no access to the company.
	RefusedPermission RefusalReason = "permission"
	// RefusedLicence: that user has not accepted the upstream's licence.
	RefusedLicence RefusalReason = "licence"
	// RefusedInactive: the company is not active upstream.
	RefusedInactive RefusalReason = "inactive"
	// RefusedStartGuide: the company's start guide is not completed.
	RefusedStartGuide RefusalReason = "start_guide"
	// RefusedNotReady: the company is not active or its start guide is not
	// completed; the upstream answers both alike (a body-less 403).
	RefusedNotReady RefusalReason = "not_ready"
	// RefusedOther: a refusal with a code Bilag does not know.
	RefusedOther RefusalReason = "other"
)

// Refused is an upstream's refusal for a reason Bilag can name. It is
// ErrForbidden to errors.Is.
type Refused struct {
	Reason RefusalReason
	// Area is the program area refused ("vouchers", "customer_invoices"),
	// "" when the refusal concerns the whole company.
	Area string
	// Upstream is the upstream's own code, for logs and support.
	Upstream string
}

func (r *Refused) Error() string {
	s := fmt.Sprintf("upstream refused: %s", r.Reason)
	if r.Area != "" {
		s += " in " + r.Area
	}
	if r.Upstream != "" {
		s += " (" + r.Upstream + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrForbidden) true.
func (r *Refused) Is(target error) bool { return target == ErrForbidden }

// Class is one kind of upstream failure: what a person is told about it
// depends on the class alone (and a refusal's reason), never on which
// upstream failed or how.
type Class int

// The classes of upstream failure.
const (
	// ClassNone: not an upstream failure (Bilag's own, or no error).
	ClassNone Class = iota
	// ClassRefused: the upstream refused for a reason (Failure.Refused).
	ClassRefused
	// ClassEnded: the grant no longer works; only a new approval helps.
	ClassEnded
	// ClassUnavailable: no answer in time, a refused connection, a 5xx.
	ClassUnavailable
	// ClassRateLimited: the upstream asked Bilag to wait (Failure.RetryAfter).
	ClassRateLimited
	// ClassBadAnswer: an answer Bilag cannot use (ErrBadAnswer).
	ClassBadAnswer
	// ClassNotFound: the upstream no longer has the object.
	ClassNotFound
)

// Failure is an error's class with what its answer needs.
type Failure struct {
	Class   Class
	Refused Refused
	// RetryAfter is the wait the upstream asked for; 0 when it named none.
	RetryAfter time.Duration
	// Reset is when a spent quota resets (RateLimitError.Reset); zero when
	// unknown.
	Reset time.Time
}

// Classify tells which class of upstream failure err is. The order
// matters where an error is more than one thing: a refused token ends the
// connection whatever else is said, and a named refusal is more use to a
// person than the status it came with.
func Classify(err error) Failure {
	if err == nil {
		return Failure{}
	}
	if errors.Is(err, ErrGrantRevoked) || errors.Is(err, ErrUnauthorized) {
		return Failure{Class: ClassEnded}
	}
	if errors.Is(err, ErrRateLimited) {
		f := Failure{Class: ClassRateLimited}
		if rl, ok := errors.AsType[*RateLimitError](err); ok {
			f.RetryAfter, f.Reset = rl.RetryAfter, rl.Reset
		}
		return f
	}
	if r, ok := errors.AsType[*Refused](err); ok {
		return Failure{Class: ClassRefused, Refused: *r}
	}
	switch {
	case errors.Is(err, ErrForbidden):
		return Failure{Class: ClassRefused, Refused: Refused{Reason: RefusedOther}}
	case errors.Is(err, ErrUnavailable):
		return Failure{Class: ClassUnavailable}
	case errors.Is(err, ErrBadAnswer):
		return Failure{Class: ClassBadAnswer}
	case errors.Is(err, ErrNotFound):
		return Failure{Class: ClassNotFound}
	}
	return Failure{}
}
