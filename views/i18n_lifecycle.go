package views

// lifecycleCatalog: the life of a connection: syncs already running, why a
// sync failed, and the banner of a misconfigured connector.
var lifecycleCatalog = map[string]Text{
	"sync.alreadyrunning": {En: "A sync is already running: %d of %d vouchers fetched.", Sv: "En synkronisering pågår redan: %d av %d verifikat hämtade."},
}
