package domain_test

import (
	"slices"
	"testing"

	"github.com/loquat-dev/loquat/domain"
)

func TestMonitoringReasonsFor(t *testing.T) {
	const line = 700000 // 7,000 yuan per person per year
	defaults := domain.MonitoringThresholds{}
	tests := []struct {
		name string
		f    domain.MonitoringFigures
		th   domain.MonitoringThresholds
		want []string
	}{
		{"well above, steady", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: 100, PriorIncomeFen: 100}, defaults, nil},
		{"one fen below", domain.MonitoringFigures{PerCapitaIncomeFen: line - 1, LineFen: line}, defaults, []string{"below_line"}},
		{"on the line is near, not below", domain.MonitoringFigures{PerCapitaIncomeFen: line, LineFen: line}, defaults, []string{"near_line"}},
		{"exactly 10% above is near", domain.MonitoringFigures{PerCapitaIncomeFen: 770000, LineFen: line}, defaults, []string{"near_line"}},
		{"one fen past 10% is not", domain.MonitoringFigures{PerCapitaIncomeFen: 770001, LineFen: line}, defaults, nil},
		{"a wider band", domain.MonitoringFigures{PerCapitaIncomeFen: 770001, LineFen: line}, domain.MonitoringThresholds{NearLinePct: 20}, []string{"near_line"}},
		{"fell exactly 30% is no drop", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: 7000, PriorIncomeFen: 10000}, defaults, nil},
		{"fell 30.01%", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: 6999, PriorIncomeFen: 10000}, defaults, []string{"income_drop"}},
		{"a stricter drop", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: 8000, PriorIncomeFen: 10000}, domain.MonitoringThresholds{DropPct: 10}, []string{"income_drop"}},
		{"refunds left it negative", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: -50, PriorIncomeFen: 10000}, defaults, []string{"income_drop"}},
		{"nothing the year before", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: 0, PriorIncomeFen: 0}, defaults, nil},
		{"grew", domain.MonitoringFigures{PerCapitaIncomeFen: 900000, LineFen: line, TrailingIncomeFen: 20000, PriorIncomeFen: 10000}, defaults, nil},
		{"below and dropped", domain.MonitoringFigures{PerCapitaIncomeFen: 100, LineFen: line, TrailingIncomeFen: 0, PriorIncomeFen: 10000}, defaults, []string{"below_line", "income_drop"}},
		{"near and dropped", domain.MonitoringFigures{PerCapitaIncomeFen: 710000, LineFen: line, TrailingIncomeFen: 1, PriorIncomeFen: 10000}, defaults, []string{"near_line", "income_drop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.MonitoringReasonsFor(tt.f, tt.th); !slices.Equal(got, tt.want) {
				t.Errorf("reasons for %+v under %+v = %v, want %v", tt.f, tt.th, got, tt.want)
			}
		})
	}
}

func TestMonitoringThresholdsValidate(t *testing.T) {
	tests := []struct {
		th      domain.MonitoringThresholds
		wantErr bool
	}{
		{domain.MonitoringThresholds{}, false},
		{domain.MonitoringThresholds{NearLinePct: 100, DropPct: 1}, false},
		{domain.MonitoringThresholds{NearLinePct: -1}, true},
		{domain.MonitoringThresholds{DropPct: 101}, true},
	}
	for _, tt := range tests {
		if err := tt.th.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%+v: Validate() = %v, want error %v", tt.th, err, tt.wantErr)
		}
	}
	if got := (domain.MonitoringThresholds{NearLinePct: 5}).WithDefaults(); got != (domain.MonitoringThresholds{NearLinePct: 5, DropPct: 30}) {
		t.Errorf("WithDefaults kept or filled the wrong fields: %+v", got)
	}
}
