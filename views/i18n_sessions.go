package views

// sessionsCatalog: sessions that end, passwords people choose themselves
// and the second factor.
var sessionsCatalog = map[string]Text{
	"admin.user.sessions.ended": {En: "All of the user's sessions have ended: they must log in again.", Sv: "Alla användarens sessioner är avslutade: användaren måste logga in igen."},
	"admin.user.sessions.help":  {En: "Saving a new password or role, or deactivating the user, ends all of the user's sessions.", Sv: "Ett nytt lösenord, en ny roll eller en avaktivering avslutar alla användarens sessioner."},
	"err.password.common":       {En: "This is one of the commonest passwords (or one with digits or symbols added). Choose another, for example a few unrelated words.", Sv: "Det här är ett av de vanligaste lösenorden (eller ett sådant med siffror eller tecken tillagda). Välj ett annat, till exempel några orelaterade ord."},
	"err.password.personal":     {En: "The password may not contain your name, your e-mail address or the word Bilag.", Sv: "Lösenordet får inte innehålla namnet, e-postadressen eller ordet Bilag."},
}
