package views

// sessionsCatalog: sessions that end, passwords people choose themselves
// and the second factor.
var sessionsCatalog = map[string]Text{
	"admin.user.sessions.ended": {En: "All of the user's sessions have ended: they must log in again.", Sv: "Alla användarens sessioner är avslutade: användaren måste logga in igen."},
	"admin.user.sessions.help":  {En: "Saving a new password or role, or deactivating the user, ends all of the user's sessions.", Sv: "Ett nytt lösenord, en ny roll eller en avaktivering avslutar alla användarens sessioner."},
}
