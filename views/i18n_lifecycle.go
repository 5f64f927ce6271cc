package views

// lifecycleCatalog: the life of a connection: syncs already running, why a
// sync failed, and the banner of a misconfigured connector.
var lifecycleCatalog = map[string]Text{
	"sync.alreadyrunning":      {En: "A sync is already running: %d of %d vouchers fetched.", Sv: "En synkronisering pågår redan: %d av %d verifikat hämtade."},
	"admin.misconfigured":      {En: "Several connections through %s were refused alike within minutes. That points at Bilag's own configuration (a changed client secret, a wrong clock), so they are not marked for re-approval. Check the configuration and the log.", Sv: "Flera kopplingar via %s nekades på samma sätt inom några minuter. Det tyder på ett fel i Bilags egen konfiguration (en ändrad klienthemlighet, fel klocka), så de markeras inte för nytt godkännande. Kontrollera konfigurationen och loggen."},
	"result.oldgrantkept":      {En: "The permission given to Bilag before this one is still valid in the accounting system: Bilag could not withdraw it there. Remove Bilag's older access in the accounting system's settings for integrations or apps.", Sv: "Behörigheten som Bilag fick före den här gäller fortfarande i ekonomisystemet: Bilag kunde inte återkalla den där. Ta bort Bilags äldre åtkomst i ekonomisystemets inställningar för integrationer eller appar."},
	"sync.reason.reapproval":   {En: "the accounting system no longer accepts the permission; make a new consent link", Sv: "ekonomisystemet godtar inte längre behörigheten; skapa en ny samtyckeslänk"},
	"sync.reason.unavailable":  {En: "the accounting system did not answer; the next sync tries again", Sv: "ekonomisystemet svarade inte; nästa synkronisering försöker igen"},
	"sync.reason.rate_limited": {En: "the accounting system asked Bilag to slow down; the next sync tries again", Sv: "ekonomisystemet bad Bilag att sakta ner; nästa synkronisering försöker igen"},
	"sync.reason.refused":      {En: "the accounting system refused to give the vouchers to this permission", Sv: "ekonomisystemet vägrade lämna ut verifikaten med den här behörigheten"},
	"sync.reason.stopped":      {En: "Bilag was restarted during the sync; the next sync tries again", Sv: "Bilag startades om under synkroniseringen; nästa synkronisering försöker igen"},
	"sync.reason.abandoned":    {En: "the server running the sync stopped; the next sync tries again", Sv: "servern som synkroniserade stannade; nästa synkronisering försöker igen"},
	"sync.reason.other":        {En: "an unexpected answer stopped the sync; the log has the details", Sv: "ett oväntat svar stoppade synkroniseringen; detaljerna finns i loggen"},
}
