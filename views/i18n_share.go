package views

// shareCatalog: the consent link's message and e-mail, which the analyst
// sends to the client's accountant and which is the first thing that
// accountant reads of Bilag, in each of the five languages; and the
// analyst's labels for each language's copy.
//
// The message's arguments: %[1]s the firm, %[2]s the company (its
// genitive where the language inflects it, see server.genitive), %[3]s the
// accounting system, %[4]s the link, %[5]s when it ends (share.when),
// %[6]s the sender. Finnish names the company and the system on lines of
// their own, so that neither needs a case ending.
var shareCatalog = map[string]Text{
	"share.message": {
		En: "Hello!\n\nWe at %[1]s need read access to %[2]s bookkeeping in %[3]s, so that we can open the documents behind the vouchers. Open the link and log in with an account that has full permission in %[3]s:\n\n%[4]s\n\nThe link is valid until %[5]s. You give read access only, and can withdraw it at any time.\n\nKind regards\n%[6]s",
		Sv: "Hej!\n\nVi på %[1]s behöver läsbehörighet till %[2]s bokföring i %[3]s, så att vi kan öppna underlagen bakom verifikaten. Öppna länken och logga in med ett konto som har full behörighet i %[3]s:\n\n%[4]s\n\nLänken gäller till %[5]s. Du ger bara läsbehörighet och kan återkalla den när du vill.\n\nVänliga hälsningar\n%[6]s",
		Da: "Hej!\n\nVi hos %[1]s har brug for læseadgang til %[2]s bogføring i %[3]s, så vi kan åbne bilagene bag posteringerne. Åbn linket og log ind med en bruger, der har fuld adgang til virksomheden i %[3]s:\n\n%[4]s\n\nLinket gælder indtil %[5]s. Du giver kun læseadgang og kan til enhver tid trække den tilbage.\n\nVenlig hilsen\n%[6]s",
		Nb: "Hei!\n\nVi i %[1]s trenger lesetilgang til %[2]s regnskap i %[3]s, slik at vi kan åpne bilagene bak posteringene. Åpne lenken og logg inn med en bruker som har full tilgang til selskapet i %[3]s:\n\n%[4]s\n\nLenken gjelder til %[5]s. Du gir bare lesetilgang og kan trekke den tilbake når som helst.\n\nVennlig hilsen\n%[6]s",
		Fi: "Hei!\n\n%[1]s pyytää lukuoikeutta alla mainitun yrityksen kirjanpitoon, jotta tositteiden liitteet voidaan avata.\n\nYritys: %[2]s\nOhjelmisto: %[3]s\n\nAvaa linkki ja kirjaudu sisään tunnuksilla, joilla on täydet käyttöoikeudet yritykseen ohjelmistossa %[3]s:\n\n%[4]s\n\nLinkki on voimassa %[5]s asti. Annat vain lukuoikeuden ja voit perua sen milloin tahansa.\n\nYstävällisin terveisin\n%[6]s",
	},
	"share.subject": {En: "Read access to %s bookkeeping", Sv: "Läsbehörighet till %s bokföring", Da: "Læseadgang til %s bogføring", Nb: "Lesetilgang til %s regnskap", Fi: "Lukuoikeus kirjanpitoon: %s"},
	// The month names as a date in the message writes them (Finnish: the
	// partitive, "3. joulukuuta").
	"share.months": {
		En: "January February March April May June July August September October November December",
		Sv: "januari februari mars april maj juni juli augusti september oktober november december",
		Da: "januar februar marts april maj juni juli august september oktober november december",
		Nb: "januar februar mars april mai juni juli august september oktober november desember",
		Fi: "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta syyskuuta lokakuuta marraskuuta joulukuuta",
	},
	// share.when: %[1]d day, %[2]s month, %[3]d year, %[4]s the time of day
	// written by the Go layout share.clock (with the zone's abbreviation).
	"share.when":  {En: "%[1]d %[2]s %[3]d %[4]s", Sv: "%[1]d %[2]s %[3]d %[4]s", Da: "%[1]d. %[2]s %[3]d kl. %[4]s", Nb: "%[1]d. %[2]s %[3]d kl. %[4]s", Fi: "%[1]d. %[2]s %[3]d klo %[4]s"},
	"share.clock": {En: "15:04 MST", Sv: "15:04 MST", Da: "15.04 MST", Nb: "15.04 MST", Fi: "15.04 MST"},

	"share.lang":      {En: "Language of the message", Sv: "Meddelandets språk", Da: "Beskedens sprog", Nb: "Meldingens språk", Fi: "Viestin kieli"},
	"share.lang.show": {En: "Show", Sv: "Visa", Da: "Vis", Nb: "Vis", Fi: "Näytä"},
	"share.lang.help": {En: "The English message comes with it.", Sv: "Det engelska meddelandet följer med.", Da: "Den engelske besked følger med.", Nb: "Den engelske meldingen følger med.", Fi: "Englanninkielinen viesti tulee mukana."},

	"share.message.sv": {En: "Message in Swedish", Sv: "Meddelande på svenska", Da: "Besked på svensk", Nb: "Melding på svensk", Fi: "Viesti ruotsiksi"},
	"share.message.en": {En: "Message in English", Sv: "Meddelande på engelska", Da: "Besked på engelsk", Nb: "Melding på engelsk", Fi: "Viesti englanniksi"},
	"share.message.da": {En: "Message in Danish", Sv: "Meddelande på danska", Da: "Besked på dansk", Nb: "Melding på dansk", Fi: "Viesti tanskaksi"},
	"share.message.nb": {En: "Message in Norwegian (bokmål)", Sv: "Meddelande på norska (bokmål)", Da: "Besked på norsk (bokmål)", Nb: "Melding på bokmål", Fi: "Viesti norjaksi (bokmål)"},
	"share.message.fi": {En: "Message in Finnish", Sv: "Meddelande på finska", Da: "Besked på finsk", Nb: "Melding på finsk", Fi: "Viesti suomeksi"},
	"share.copy.sv":    {En: "Copy the Swedish message", Sv: "Kopiera det svenska meddelandet", Da: "Kopiér den svenske besked", Nb: "Kopier den svenske meldingen", Fi: "Kopioi ruotsinkielinen viesti"},
	"share.copy.en":    {En: "Copy the English message", Sv: "Kopiera det engelska meddelandet", Da: "Kopiér den engelske besked", Nb: "Kopier den engelske meldingen", Fi: "Kopioi englanninkielinen viesti"},
	"share.copy.da":    {En: "Copy the Danish message", Sv: "Kopiera det danska meddelandet", Da: "Kopiér den danske besked", Nb: "Kopier den danske meldingen", Fi: "Kopioi tanskankielinen viesti"},
	"share.copy.nb":    {En: "Copy the Norwegian message", Sv: "Kopiera det norska meddelandet", Da: "Kopiér den norske besked", Nb: "Kopier den norske meldingen", Fi: "Kopioi norjankielinen viesti"},
	"share.copy.fi":    {En: "Copy the Finnish message", Sv: "Kopiera det finska meddelandet", Da: "Kopiér den finske besked", Nb: "Kopier den finske meldingen", Fi: "Kopioi suomenkielinen viesti"},
}
