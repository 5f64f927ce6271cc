package main

import (
	"bilag/connectors"
	"bilag/connectors/budget"
)

// newBudget is a connector's rate budget: in memory on SQLite, where one
// instance serves the database; on PostgreSQL, which several instances may
// share, counted in the database so that together they keep each quota.
func (a *app) newBudget() connectors.Budget {
	opt := budget.Options{Logger: a.log.With("component", "budget")}
	if a.db != nil && a.db.Dialect() == "postgres" {
		opt.Store = a.db
	}
	return budget.New(opt)
}
