package views

// sessionsCatalog: sessions that end, passwords people choose themselves
// and the second factor.
var sessionsCatalog = map[string]Text{
	"admin.user.sessions.ended":     {En: "All of the user's sessions have ended: they must log in again.", Sv: "Alla användarens sessioner är avslutade: användaren måste logga in igen."},
	"admin.user.sessions.help":      {En: "Saving a new password or role, or deactivating the user, ends all of the user's sessions.", Sv: "Ett nytt lösenord, en ny roll eller en avaktivering avslutar alla användarens sessioner."},
	"err.password.common":           {En: "This is one of the commonest passwords (or one with digits or symbols added). Choose another, for example a few unrelated words.", Sv: "Det här är ett av de vanligaste lösenorden (eller ett sådant med siffror eller tecken tillagda). Välj ett annat, till exempel några orelaterade ord."},
	"err.password.personal":         {En: "The password may not contain your name, your e-mail address or the word Bilag.", Sv: "Lösenordet får inte innehålla namnet, e-postadressen eller ordet Bilag."},
	"settings.password.title":       {En: "Password", Sv: "Lösenord"},
	"settings.password.help":        {En: "At least 12 characters; not a common password, and not containing your name, your e-mail address or Bilag. Changing it logs you out everywhere else.", Sv: "Minst 12 tecken; inte ett vanligt lösenord, och utan ditt namn, din e-postadress eller Bilag. När du byter loggas du ut överallt annars."},
	"settings.current_password":     {En: "Current password", Sv: "Nuvarande lösenord"},
	"settings.new_password":         {En: "New password", Sv: "Nytt lösenord"},
	"settings.new_password_confirm": {En: "New password again", Sv: "Nytt lösenord igen"},
	"settings.password.submit":      {En: "Change password", Sv: "Byt lösenord"},
	"settings.password.wrong":       {En: "This is not your current password.", Sv: "Det här är inte ditt nuvarande lösenord."},
	"settings.password.throttled":   {En: "Too many wrong attempts. Wait a while and try again.", Sv: "För många felaktiga försök. Vänta en stund och försök igen."},
	"settings.password.mismatch":    {En: "The two new passwords differ.", Sv: "De två nya lösenorden skiljer sig åt."},
	"settings.password.changed":     {En: "Your password is changed. Your other sessions have ended.", Sv: "Ditt lösenord är bytt. Dina andra sessioner är avslutade."},
}
