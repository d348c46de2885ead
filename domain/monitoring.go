package domain

import (
	"errors"
	"fmt"
)

// Monitoring reasons: why a household is on the monitoring list (防返贫监测).
// A household can have several.
const (
	// ReasonBelowLine: per-capita income below the year's monitoring line.
	ReasonBelowLine = "below_line"
	// ReasonNearLine: at or above the line, but within NearLinePct of it.
	ReasonNearLine = "near_line"
	// ReasonIncomeDrop: programme income of the trailing 365 days fell by
	// more than DropPct against the 365 days before them.
	ReasonIncomeDrop = "income_drop"
)

// MonitoringReasons lists the reason codes, in the order a household's
// reasons are given.
func MonitoringReasons() []string {
	return []string{ReasonBelowLine, ReasonNearLine, ReasonIncomeDrop}
}

// MonitoringThresholds configure the monitoring rule. The zero value of a
// field means its default.
type MonitoringThresholds struct {
	// NearLinePct: a per-capita income at most this many percent above the
	// line is near it. Default 10.
	NearLinePct int64
	// DropPct: a trailing year's income that fell by more than this many
	// percent of the year before's is a drop. Default 30.
	DropPct int64
}

// Default monitoring thresholds (the district's practice, issue #17).
const (
	DefaultNearLinePct = 10
	DefaultDropPct     = 30
)

// WithDefaults returns the thresholds with their zero fields defaulted.
func (t MonitoringThresholds) WithDefaults() MonitoringThresholds {
	if t.NearLinePct == 0 {
		t.NearLinePct = DefaultNearLinePct
	}
	if t.DropPct == 0 {
		t.DropPct = DefaultDropPct
	}
	return t
}

// Validate reports every threshold out of range at once: both are
// percentages in 1..100 (0 stands for the default).
func (t MonitoringThresholds) Validate() error {
	var errs []error
	if t.NearLinePct < 0 || t.NearLinePct > 100 {
		errs = append(errs, fmt.Errorf("near-line threshold %d%% is not in 1..100", t.NearLinePct))
	}
	if t.DropPct < 0 || t.DropPct > 100 {
		errs = append(errs, fmt.Errorf("income-drop threshold %d%% is not in 1..100", t.DropPct))
	}
	return errors.Join(errs...)
}

// MonitoringFigures are what the rule looks at for one household on one day.
type MonitoringFigures struct {
	PerCapitaIncomeFen Fen // see PerCapitaIncome
	LineFen            Fen // the monitoring line of the day's year
	// TrailingIncomeFen is the programme income of the 365 days ending on
	// the day; PriorIncomeFen that of the 365 days before them.
	TrailingIncomeFen Fen
	PriorIncomeFen    Fen
}

// MonitoringReasonsFor returns why a household with these figures is
// monitored, in MonitoringReasons order; none: it is not. Integer
// arithmetic throughout, so a figure exactly on a threshold is decided the
// same way everywhere: exactly NearLinePct above the line is near it; a
// drop of exactly DropPct is not a drop. A household without income in the
// prior year cannot have dropped.
func MonitoringReasonsFor(f MonitoringFigures, t MonitoringThresholds) []string {
	t = t.WithDefaults()
	var out []string
	switch {
	case f.PerCapitaIncomeFen < f.LineFen:
		out = append(out, ReasonBelowLine)
	case f.PerCapitaIncomeFen*100 <= f.LineFen*(100+Fen(t.NearLinePct)):
		out = append(out, ReasonNearLine)
	}
	if f.PriorIncomeFen > 0 && (f.PriorIncomeFen-f.TrailingIncomeFen)*100 > f.PriorIncomeFen*Fen(t.DropPct) {
		out = append(out, ReasonIncomeDrop)
	}
	return out
}
