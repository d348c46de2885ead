package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Platform names Loquat counts sales of. An order event naming any other
// platform is refused on every input path: a misspelt name would otherwise
// open a by_platform row of its own and split a channel's figures.
const (
	PlatformDouyin   = "douyin"
	PlatformJD       = "jd"
	PlatformKuaishou = "kuaishou"
	// Platform832 is the 832 platform (832.gov.cn), the state's procurement
	// platform for poverty-area produce; its exports are imported as files.
	Platform832 = "832"
	// PlatformFile is offline sales and any other channel an enterprise
	// keeps in a spreadsheet and imports as a file (samples/orders.csv).
	PlatformFile = "file"
)

// KnownPlatforms lists every platform an order event may name.
var KnownPlatforms = []string{PlatformDouyin, PlatformJD, PlatformKuaishou, Platform832, PlatformFile}

// KnownPlatform reports whether p is one of KnownPlatforms.
func KnownPlatform(p string) bool { return slices.Contains(KnownPlatforms, p) }

// LooksLikeIDCard reports whether id has the shape of a national ID-card
// number (17 digits and a check digit or X). Household ids must be
// pseudonymous: the registry refuses such ids (Household.Validate), and
// every other input naming a household refuses them by this same rule.
func LooksLikeIDCard(id string) bool { return idCardLike.MatchString(id) }

// Defaults of AcceptWindow.
var (
	// DefaultAcceptFrom is when the programme's records begin: nothing
	// Loquat counts happened before 2015-01-01 (China time).
	DefaultAcceptFrom = time.Date(2015, 1, 1, 0, 0, 0, 0, ChinaTime)
)

// DefaultAcceptSkew is how far in the future of the receiver's clock a time
// may lie: a platform's clock, or a spreadsheet's time zone, may be off.
const DefaultAcceptSkew = 24 * time.Hour

// AcceptWindow is the span of plausible business times (paid, refunded,
// income occurred): from From up to the receiver's now plus Skew. The zero
// value selects the defaults.
type AcceptWindow struct {
	// From is the earliest time accepted. Default DefaultAcceptFrom.
	From time.Time
	// Skew is how far after now a time may be. Default DefaultAcceptSkew.
	Skew time.Duration
}

func (w AcceptWindow) withDefaults() AcceptWindow {
	if w.From.IsZero() {
		w.From = DefaultAcceptFrom
	}
	if w.Skew == 0 {
		w.Skew = DefaultAcceptSkew
	}
	return w
}

// Validate reports a window that could never accept anything sensible.
func (w AcceptWindow) Validate() error {
	if w.Skew < 0 {
		return fmt.Errorf("accept skew is %s, must not be negative", w.Skew)
	}
	return nil
}

// ErrImplausible is wrapped by every error CheckPlausible returns.
var ErrImplausible = errors.New("implausible input")

// CheckPlausible applies the input rules every source shares: order events
// name a known platform, business times lie in the window w as seen at now,
// and an income record's household id is no ID-card number. Registry events
// are not checked here (the registry loader validates them whole). The error
// lists every problem, joined by "; ", and wraps ErrImplausible.
func CheckPlausible(e Event, now time.Time, w AcceptWindow) error {
	w = w.withDefaults()
	var problems []string
	platform := func(p string) {
		if p != "" && !KnownPlatform(p) {
			problems = append(problems, fmt.Sprintf("platform %q is unknown (want one of %v)", p, KnownPlatforms))
		}
	}
	at := func(name string, t time.Time) {
		if t.IsZero() {
			return // Validate says it is missing
		}
		if t.Before(w.From) {
			problems = append(problems, fmt.Sprintf("%s %s is before %s, when records begin",
				name, t.In(ChinaTime).Format(time.DateTime), w.From.In(ChinaTime).Format(time.DateTime)))
		} else if t.After(now.Add(w.Skew)) {
			// The message names no clock reading: a dead letter's id derives
			// from its reason, and the same input refused again must keep one.
			problems = append(problems, fmt.Sprintf("%s %s is in the future (more than %s after now)",
				name, t.In(ChinaTime).Format(time.DateTime), w.Skew))
		}
	}
	switch e := e.(type) {
	case *OrderCreated:
		platform(e.Platform)
		at("created_at", e.CreatedAt)
	case *OrderPaid:
		platform(e.Platform)
		at("created_at", e.CreatedAt)
		if !e.PaidAt.Equal(e.CreatedAt) {
			at("paid_at", e.PaidAt)
		}
	case *OrderShipped:
		platform(e.Platform)
		at("shipped_at", e.ShippedAt)
	case *OrderCompleted:
		platform(e.Platform)
		at("completed_at", e.CompletedAt)
	case *OrderCancelled:
		platform(e.Platform)
		at("cancelled_at", e.CancelledAt)
	case *RefundSucceeded:
		platform(e.Platform)
		at("refunded_at", e.RefundedAt)
	case *IncomeRecorded:
		if LooksLikeIDCard(e.HouseholdID) {
			problems = append(problems, "household_id looks like an ID-card number; use the registry's pseudonymous id")
		}
		at("occurred_at", e.OccurredAt)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrImplausible, strings.Join(problems, "; "))
}

// ErrNotRegistered is wrapped by CheckRegistered's errors.
var ErrNotRegistered = errors.New("not in the registry")

// CheckRegistered refuses money the read model could attribute to no one:
// an income record for a household or an enterprise the registry does not
// hold would be appended and then show in no figure. Other events pass: a
// sale of an unlisted SKU is reported as unattributed, not lost.
func CheckRegistered(e Event, reg *Registry) error {
	in, ok := e.(*IncomeRecorded)
	if !ok {
		return nil
	}
	var problems []string
	if _, ok := reg.Households[in.HouseholdID]; !ok {
		problems = append(problems, fmt.Sprintf("household %q is not registered", in.HouseholdID))
	}
	if _, ok := reg.Enterprises[in.EnterpriseID]; !ok && in.EnterpriseID != "" {
		problems = append(problems, fmt.Sprintf("enterprise %q is not registered", in.EnterpriseID))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (load the registry first: loquat registry load)", ErrNotRegistered, strings.Join(problems, "; "))
}
