package eaccounting

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// A voucher row is booked on up to three cost centre items and a project,
// by id only (VoucherRowApi.CostCenterItemId1..3 and ProjectId, "Get from
// /v2/costcenters", "Get from /v2/projects"). Their codes and names come
// from those two lists, read once for a company and kept a while
// (dimensionsTTL), so a sync of thousands of vouchers reads them once and
// not per voucher or page.

// dimensionsTTL is how long a company's lists are kept. A sync of a large
// company takes minutes; a name changed in eAccounting shows after this.
const dimensionsTTL = 10 * time.Minute

// maxDimensionCaches bounds the kept lists: one per company synced or
// read within dimensionsTTL.
const maxDimensionCaches = 1000

// dimensionCatalogue is a company's cost centre items and projects by id,
// in Bilag's words.
type dimensionCatalogue struct {
	// items are by item id; the item's code is its ShortName.
	items map[string]connectors.Dimension
	// projects are by project id; the code is the project's Number.
	projects map[string]connectors.Dimension
}

type costCenterJSON struct {
	Name   string
	Number int
	Items  []struct {
		Id        string
		Name      string
		ShortName string
	}
}

type projectJSON struct {
	Id     string
	Number string
	Name   string
}

// dimensionCache keeps catalogues by grant: the hash of the access token,
// which is the company's and never stored itself.
type dimensionCache struct {
	mu   sync.Mutex
	byID map[[sha256.Size]byte]cachedCatalogue
}

type cachedCatalogue struct {
	cat *dimensionCatalogue
	at  time.Time
}

func (dc *dimensionCache) get(key [sha256.Size]byte, now time.Time) *dimensionCatalogue {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if e, ok := dc.byID[key]; ok && now.Sub(e.at) < dimensionsTTL {
		return e.cat
	}
	return nil
}

func (dc *dimensionCache) put(key [sha256.Size]byte, cat *dimensionCatalogue, now time.Time) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.byID == nil {
		dc.byID = map[[sha256.Size]byte]cachedCatalogue{}
	}
	if len(dc.byID) >= maxDimensionCaches {
		for k, e := range dc.byID {
			if now.Sub(e.at) >= dimensionsTTL {
				delete(dc.byID, k)
			}
		}
	}
	if len(dc.byID) < maxDimensionCaches {
		dc.byID[key] = cachedCatalogue{cat, now}
	}
}

// dimensions is the grant's company's catalogue, read when not kept. A
// company whose grant or product variant may not read a list (403: a
// missing scope, Solo's lack of the module, a missing permission) gets
// no codes or names from it: its rows then carry Visma's ids as codes,
// and the sync goes on.
func (c *Connector) dimensions(ctx context.Context, tok *token) (*dimensionCatalogue, error) {
	key, now := sha256.Sum256([]byte(tok.AccessToken)), c.cfg.Now()
	if cat := c.dims.get(key, now); cat != nil {
		return cat, nil
	}
	cat := &dimensionCatalogue{items: map[string]connectors.Dimension{}, projects: map[string]connectors.Dimension{}}
	if err := c.costCenters(ctx, tok, cat); err != nil {
		return nil, err
	}
	if err := c.projects(ctx, tok, cat); err != nil {
		return nil, err
	}
	c.dims.put(key, cat, now)
	return cat, nil
}

// keptDimensions is the grant's company's catalogue when kept, nil when
// not; it makes no call.
func (c *Connector) keptDimensions(tok *token) *dimensionCatalogue {
	return c.dims.get(sha256.Sum256([]byte(tok.AccessToken)), c.cfg.Now())
}

// forbiddenList says a list's 403 leaves its names unknown: logged,
// not an error.
func (c *Connector) forbiddenList(ctx context.Context, what string, err error) bool {
	if !errors.Is(err, connectors.ErrForbidden) {
		return false
	}
	c.logger.WarnContext(ctx, "dimension names not readable; rows keep Visma's ids", "list", what, "err", err)
	return true
}

func (c *Connector) costCenters(ctx context.Context, tok *token, cat *dimensionCatalogue) error {
	err := eachPage(ctx, c, tok, "GET /costcenters", "/costcenters", func(cc costCenterJSON) {
		for _, it := range cc.Items {
			name := strings.TrimSpace(it.Name)
			if n := strings.TrimSpace(cc.Name); n != "" {
				name = n + ": " + name
			}
			cat.items[strings.ToLower(it.Id)] = connectors.Dimension{Kind: connectors.DimensionCostCentre, Code: strings.TrimSpace(it.ShortName), Name: name}
		}
	})
	if err != nil && !c.forbiddenList(ctx, "costcenters", err) {
		return fmt.Errorf("get cost centres: %w", err)
	}
	return nil
}

func (c *Connector) projects(ctx context.Context, tok *token, cat *dimensionCatalogue) error {
	err := eachPage(ctx, c, tok, "GET /projects", "/projects", func(p projectJSON) {
		cat.projects[strings.ToLower(p.Id)] = connectors.Dimension{Kind: connectors.DimensionProject, Code: strings.TrimSpace(p.Number), Name: strings.TrimSpace(p.Name)}
	})
	if err != nil && !c.forbiddenList(ctx, "projects", err) {
		return fmt.Errorf("get projects: %w", err)
	}
	return nil
}

// rowDimensions are a row's cost centre items and project in Bilag's
// words. Cost centre 1's items have their short name as code; the second
// and third cost centres' are written "2:…" and "3:…", because two cost
// centres may give items the same short name ("10") and the filter keys
// on kind and code (inferred: Visma documents no uniqueness across cost
// centres). An id the lists do not hold (unreadable, or deleted since)
// is its own code, without a name.
func (cat *dimensionCatalogue) rowDimensions(r voucherRowJSON) []connectors.Dimension {
	if cat == nil {
		cat = &dimensionCatalogue{}
	}
	var out []connectors.Dimension
	for slot, id := range []*string{r.CostCenterItemId1, r.CostCenterItemId2, r.CostCenterItemId3} {
		if id == nil || strings.TrimSpace(*id) == "" {
			continue
		}
		d, ok := cat.lookup(cat.items, *id, connectors.DimensionCostCentre)
		if ok && slot > 0 {
			d.Code = strconv.Itoa(slot+1) + ":" + d.Code
		}
		out = append(out, d)
	}
	if r.ProjectId != nil && strings.TrimSpace(*r.ProjectId) != "" {
		d, _ := cat.lookup(cat.projects, *r.ProjectId, connectors.DimensionProject)
		out = append(out, d)
	}
	return out
}

func (*dimensionCatalogue) lookup(m map[string]connectors.Dimension, id string, kind connectors.DimensionKind) (connectors.Dimension, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	if d, ok := m[id]; ok && d.Code != "" {
		return d, true
	}
	return connectors.Dimension{Kind: kind, Code: id}, false
}

// pageQuery asks for page of a list, 1000 at a time, as public clients do.
func pageQuery(page int) url.Values {
	return url.Values{"$page": {strconv.Itoa(page)}, "$pagesize": {"1000"}}
}
