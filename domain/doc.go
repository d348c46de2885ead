// Package domain holds Loquat's business rules: money in fen, China-time days,
// the events that make up the log, the registry of villages, households,
// enterprises and listings, the order-line lifecycle, and attribution by the
// largest-remainder method.
//
// Household income (issue #17): recorded income has a kind (income.go:
// procurement, wage, dividend, rent, subsidy) and every kind a category of
// the monitoring system's four — operating (经营性: attributed net sales and
// procurement), wage (工资性), property (财产性: dividends, rent), transfer
// (转移性: subsidies). Per-capita income is computed for a day — a period's
// last day, or today — from the registry as in force on that day
// (registryhistory.go): the household's members and baseline income of its
// latest terms from that day or earlier (Registry.HouseholdOn), against the
// monitoring line of that day's year (Registry.MonitoringLineFor: the year's
// own line, else the latest earlier year's, else the district's single
// line). So a line loaded for a new year never changes a period ending in an
// earlier year, and a registry of one line has it for every year.
//
// The package is pure: it imports only the standard library and does no I/O,
// so every adapter (ingest, event log, read-model store, API) depends on it and
// never the other way round.
package domain
