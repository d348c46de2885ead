package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// TestCheckPlausible: the window's edges, unknown platforms and ID-card-like
// household ids, on both sides of each boundary.
func TestCheckPlausible(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, domain.ChinaTime)
	at := func(s string) time.Time {
		t.Helper()
		v, err := domain.ParseChinaTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	paid := func(platform string, when time.Time) *domain.OrderPaid {
		return &domain.OrderPaid{Platform: platform, OrderID: "O-1", CreatedAt: when, PaidAt: when,
			Lines: []domain.PaidLine{{LineID: "1", SKUID: "S", Quantity: 1, AmountFen: 100}}}
	}
	income := func(household string, when time.Time) *domain.IncomeRecorded {
		return &domain.IncomeRecorded{HouseholdID: household, Kind: domain.IncomeWage, AmountFen: 100, EnterpriseID: "E", OccurredAt: when, Reference: "R"}
	}
	tests := []struct {
		name   string
		event  domain.Event
		window domain.AcceptWindow
		want   string // part of the error; "" means plausible
	}{
		{"every known platform: douyin", paid("douyin", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, ""},
		{"832", paid("832", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, ""},
		{"file", paid("file", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, ""},
		{"unknown platform", paid("taobao", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, `platform "taobao" is unknown`},
		{"platform case matters", paid("JD", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, `platform "JD" is unknown`},
		{"first instant of 2015", paid("jd", at("2015-01-01 00:00:00")), domain.AcceptWindow{}, ""},
		{"last second of 2014", paid("jd", at("2014-12-31 23:59:59")), domain.AcceptWindow{}, "created_at 2014-12-31 23:59:59 is before 2015-01-01 00:00:00"},
		{"1900", paid("jd", at("1900-01-01 00:00:00")), domain.AcceptWindow{}, "is before 2015-01-01"},
		{"now plus a day", paid("jd", now.Add(24*time.Hour)), domain.AcceptWindow{}, ""},
		{"a second more", paid("jd", now.Add(24*time.Hour+time.Second)), domain.AcceptWindow{}, "created_at 2026-12-08 12:00:01 is in the future"},
		{"2099", paid("jd", at("2099-01-01 00:00:00")), domain.AcceptWindow{}, "is in the future"},
		{"window moved", paid("jd", at("2020-05-02 10:00:00")), domain.AcceptWindow{From: at("2021-01-01 00:00:00")}, "is before 2021-01-01"},
		{"skew narrowed", paid("jd", now.Add(2*time.Hour)), domain.AcceptWindow{Skew: time.Hour}, "more than 1h0m0s after now"},
		{"paid long after creation", &domain.OrderPaid{Platform: "jd", OrderID: "O", CreatedAt: at("2020-05-02 10:00:00"), PaidAt: at("2099-05-02 10:00:00")}, domain.AcceptWindow{}, "paid_at 2099-05-02"},
		{"refund", &domain.RefundSucceeded{Platform: "kuaishou", OrderID: "O", LineID: "1", RefundID: "R", AmountFen: 1, RefundedAt: at("2014-01-01 00:00:00")}, domain.AcceptWindow{}, "refunded_at 2014-01-01"},
		{"cancellation", &domain.OrderCancelled{Platform: "douyin2", OrderID: "O", CancelledAt: at("2020-01-01 00:00:00")}, domain.AcceptWindow{}, `platform "douyin2"`},
		{"created", &domain.OrderCreated{Platform: "douyin", OrderID: "O", CreatedAt: at("2099-01-01 00:00:00")}, domain.AcceptWindow{}, "created_at 2099"},
		{"income", income("H-1", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, ""},
		{"income in 1900", income("H-1", at("1900-05-02 10:00:00")), domain.AcceptWindow{}, "occurred_at 1900-05-02"},
		{"ID-card household", income("11010519491231002X", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, "household_id looks like an ID-card number"},
		{"ID-card, lower x", income("11010519491231002x", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, "ID-card"},
		{"17 digits is not one", income("11010519491231002", at("2020-05-02 10:00:00")), domain.AcceptWindow{}, ""},
		{"both problems at once", income("110105194912310021", at("2099-05-02 10:00:00")), domain.AcceptWindow{}, "ID-card number; use the registry's pseudonymous id; occurred_at 2099"},
		{"registry events pass", &domain.HouseholdRegistered{Household: domain.Household{ID: "H"}}, domain.AcceptWindow{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckPlausible(tt.event, now, tt.window)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want plausible", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, domain.ErrImplausible) {
				t.Fatalf("got %v, want ErrImplausible saying %q", err, tt.want)
			}
		})
	}
}

func TestAcceptWindowValidate(t *testing.T) {
	if err := (domain.AcceptWindow{Skew: -time.Second}).Validate(); err == nil {
		t.Fatal("a negative skew was accepted")
	}
	if err := (domain.AcceptWindow{}).Validate(); err != nil {
		t.Fatalf("zero window: %v", err)
	}
}

// TestCheckRegistered: income must name a registered household and
// enterprise; orders are not checked (unlisted SKUs are reported).
func TestCheckRegistered(t *testing.T) {
	reg := domain.NewRegistry()
	reg.Apply(&domain.HouseholdRegistered{Household: domain.Household{ID: "H-1", VillageID: "V", Members: 1}})
	reg.Apply(&domain.EnterpriseRegistered{Enterprise: domain.Enterprise{ID: "E-1"}})
	at := time.Date(2020, 5, 2, 10, 0, 0, 0, domain.ChinaTime)
	income := func(h, e string) *domain.IncomeRecorded {
		return &domain.IncomeRecorded{HouseholdID: h, Kind: domain.IncomeWage, AmountFen: 100, EnterpriseID: e, OccurredAt: at, Reference: "R"}
	}
	tests := []struct {
		name  string
		event domain.Event
		want  string
	}{
		{"registered", income("H-1", "E-1"), ""},
		{"unknown household", income("H-2", "E-1"), `household "H-2" is not registered`},
		{"unknown enterprise", income("H-1", "E-9"), `enterprise "E-9" is not registered`},
		{"both", income("H-2", "E-9"), `household "H-2" is not registered; enterprise "E-9" is not registered`},
		{"orders pass", &domain.OrderPaid{Platform: "jd", OrderID: "O"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckRegistered(tt.event, reg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, domain.ErrNotRegistered) {
				t.Fatalf("got %v, want ErrNotRegistered saying %q", err, tt.want)
			}
		})
	}
}
