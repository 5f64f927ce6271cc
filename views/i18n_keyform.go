package views

// keyformCatalog holds the key form's words for the kinds of field a
// connector may ask for (a list, a value from the company record).
var keyformCatalog = map[string]Text{
	"err.choice": {
		En: "Pick one of the values in the list.",
		Sv: "Välj ett av värdena i listan.",
		Da: "Vælg en af værdierne på listen.",
		Nb: "Velg en av verdiene i listen.",
		Fi: "Valitse jokin luettelon arvoista.",
	},
}
