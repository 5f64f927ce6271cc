package sandbox

// Cost centres and projects, from the OpenAPI document's CostCenterApi,
// CostCenterItemApi and ProjectApi (field names as there), and the rows
// that are booked on them (VoucherRowApi.CostCenterItemId1..3, ProjectId).
// The demo world's are derived from the company's id, never drawn from its
// generator, so that adding them changed no other generated value.

type costCenterItem struct {
	short, name string
	active      bool
}

type costCenterDef struct {
	name  string
	items []costCenterItem
}

type projectDef struct {
	number, name string
	finished     bool
}

// demoCostCenters are a company's cost centres in the order of their
// Number (1, 2): the row's CostCenterItemId1 is an item of the first,
// CostCenterItemId2 one of the second. Both use the short name "10", as
// two cost centres of one company may.
func demoCostCenters(country string) []costCenterDef {
	if country == "NO" {
		return []costCenterDef{
			{"Avdeling", []costCenterItem{{"10", "Fiske", true}, {"20", "Mottak", true}, {"30", "Kontor", true}}},
			{"Båt", []costCenterItem{{"10", "MS Lofoten", true}, {"20", "MS Reine", false}}},
		}
	}
	return []costCenterDef{
		{"Avdelning", []costCenterItem{{"10", "Snickeri", true}, {"20", "Montage", true}, {"30", "Kontor", true}}},
		{"Fordon", []costCenterItem{{"10", "Servicebil", true}, {"20", "Lastbil", false}}},
	}
}

func demoProjects(country string) []projectDef {
	if country == "NO" {
		return []projectDef{{"201", "Kaianlegg Reine", false}, {"202", "Fryselager", false}, {"190", "Notbøteri", true}}
	}
	return []projectDef{{"101", "Bryggan Strömstad", false}, {"102", "Villa Solbacken", false}, {"090", "Kommunhuset Tanum", true}}
}

// Ids derived from the company's: cost centre k is 1000+k, its item j
// 1000+100k+j, project j 2000+j.
func (co *company) costCenterID(k int) uid        { return derivedUID(co.id, uint64(1000+k)) }
func (co *company) costCenterItemID(k, j int) uid { return derivedUID(co.id, uint64(1000+100*(k+1)+j)) }
func (co *company) projectID(j int) uid           { return derivedUID(co.id, uint64(2000+j)) }

// dimsCreatedISO is when the demo company set up its cost centres and
// projects: a month before its first fiscal year.
func (co *company) dimsCreatedISO() string {
	return isoTime(co.fiscalYears[0].start.AddDate(0, -1, 0))
}

// rowDims are the cost centre items and project a voucher's result rows
// (accounts 3000 and up) are booked on: every second voucher on a
// department (cost centre 1), every fifth on a vehicle (cost centre 2),
// every fourth on a project; bank and VAT vouchers on none.
func (co *company) rowDims(i int32, v *voucher) (cc1, cc2, project *string) {
	if v.typ == vtBankDeposit || v.typ == vtBankWithdrawal || v.typ == vtVatReport {
		return nil, nil, nil
	}
	ccs, ps := demoCostCenters(co.Country), demoProjects(co.Country)
	if i%2 == 0 {
		cc1 = strp(co.costCenterItemID(0, int(i/2)%len(ccs[0].items)).String())
	}
	if i%5 == 0 {
		cc2 = strp(co.costCenterItemID(1, int(i/5)%len(ccs[1].items)).String())
	}
	if i%4 == 1 {
		project = strp(co.projectID(int(i/4) % len(ps)).String())
	}
	return cc1, cc2, project
}

type costCenterItemJSON struct {
	CostCenterID string  `json:"CostCenterId"`
	ID           *string `json:"Id"`
	Name         string  `json:"Name"`
	ShortName    string  `json:"ShortName"`
	IsActive     bool    `json:"IsActive"`
	CreatedUtc   string  `json:"CreatedUtc"`
}

type costCenterJSON struct {
	Name     string               `json:"Name"`
	Number   int                  `json:"Number"`
	IsActive bool                 `json:"IsActive"`
	Items    []costCenterItemJSON `json:"Items"`
	ID       string               `json:"Id"`
}

func (co *company) costCenterJSON(k int) costCenterJSON {
	d := demoCostCenters(co.Country)[k]
	out := costCenterJSON{Name: d.name, Number: k + 1, IsActive: true, ID: co.costCenterID(k).String(), Items: []costCenterItemJSON{}}
	for j, it := range d.items {
		out.Items = append(out.Items, costCenterItemJSON{CostCenterID: out.ID, ID: strp(co.costCenterItemID(k, j).String()),
			Name: it.name, ShortName: it.short, IsActive: it.active, CreatedUtc: co.dimsCreatedISO()})
	}
	return out
}

// getCostCenters lists PaginatedResponseOfCostCenterApi, each cost centre
// with its items.
func (s *Sandbox) getCostCenters(c *call) {
	co := c.company
	n := len(demoCostCenters(co.Country))
	fields := map[string]fieldKind{"Id": kGUID, "Name": kString, "Number": kNumber, "IsActive": kBool}
	list(c, n, fields, func(i int, f string) value {
		cc := co.costCenterJSON(i)
		switch f {
		case "Id":
			return value{kind: kGUID, g: co.costCenterID(i)}
		case "Name":
			return value{kind: kString, s: cc.Name}
		case "Number":
			return value{kind: kNumber, n: float64(cc.Number)}
		default:
			return value{kind: kBool, b: cc.IsActive}
		}
	}, co.costCenterJSON)
}

type projectJSON struct {
	ID           string  `json:"Id"`
	Number       string  `json:"Number"`
	Name         string  `json:"Name"`
	StartDate    string  `json:"StartDate"`
	EndDate      *string `json:"EndDate"`
	CustomerID   *string `json:"CustomerId"`
	CustomerName *string `json:"CustomerName"`
	Notes        *string `json:"Notes"`
	Status       int     `json:"Status"`
	ModifiedUtc  string  `json:"ModifiedUtc"`
}

func (co *company) projectJSON(j int) projectJSON {
	p := demoProjects(co.Country)[j]
	out := projectJSON{ID: co.projectID(j).String(), Number: p.number, Name: p.name, StartDate: isoTime(co.fiscalYears[0].start.AddDate(0, 2*j, 0)),
		Status: 1, ModifiedUtc: co.dimsCreatedISO()}
	if p.finished {
		out.Status, out.EndDate = 2, strp(isoTime(co.fiscalYears[1].end.AddDate(0, -1, 0)))
	}
	return out
}

// getProjects lists PaginatedResponseOfProjectApi.
func (s *Sandbox) getProjects(c *call) {
	co := c.company
	fields := map[string]fieldKind{"Id": kGUID, "Number": kString, "Name": kString, "Status": kNumber}
	list(c, len(demoProjects(co.Country)), fields, func(i int, f string) value {
		p := co.projectJSON(i)
		switch f {
		case "Id":
			return value{kind: kGUID, g: co.projectID(i)}
		case "Number":
			return value{kind: kString, s: p.Number}
		case "Name":
			return value{kind: kString, s: p.Name}
		default:
			return value{kind: kNumber, n: float64(p.Status)}
		}
	}, co.projectJSON)
}
