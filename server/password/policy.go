package password

import "errors"

// Why Check refuses a password.
var (
	ErrTooShort = errors.New("password: shorter than 12 characters")
	ErrTooLong  = errors.New("password: longer than 128 characters")
	ErrCommon   = errors.New("password: among the commonest passwords")
	ErrPersonal = errors.New("password: contains the person's name or e-mail, or the product's name")
)

// Check reports why pw may not be the password of the person called name
// with e-mail address email; nil when it may.
func Check(pw, name, email string) error { return nil }

func commonList() map[string]bool { return nil }
