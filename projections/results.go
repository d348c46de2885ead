package projections

import "github.com/loquat-dev/loquat/domain"

// Money is the three figures every breakdown carries.
type Money struct {
	GMVFen     domain.Fen `json:"gmv_fen"`
	RefundsFen domain.Fen `json:"refunds_fen"`
	NetFen     domain.Fen `json:"net_fen"`
}

func money(sales, refunds domain.Fen) Money {
	return Money{GMVFen: sales, RefundsFen: refunds, NetFen: sales - refunds}
}

func (m *Money) add(sales, refunds domain.Fen) {
	m.GMVFen += sales
	m.RefundsFen += refunds
	m.NetFen += sales - refunds
}

// PeriodJSON echoes the period a summary covers.
type PeriodJSON struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Overview answers GET /api/v1/overview.
type Overview struct {
	Period PeriodJSON `json:"period"`
	Money
	UnattributedFen   domain.Fen     `json:"unattributed_fen"`
	Orders            int64          `json:"orders"`
	RefundedOrders    int64          `json:"refunded_orders"`
	HouseholdsReached int64          `json:"households_reached"`
	ByPlatform        []PlatformFigs `json:"by_platform"`
	ByDay             []DayFigs      `json:"by_day"`
}

// PlatformFigs is one platform's figures.
type PlatformFigs struct {
	Platform string `json:"platform"`
	Money
	Orders int64 `json:"orders"`
}

// DayFigs is one China-time day's figures.
type DayFigs struct {
	Date string `json:"date"`
	Money
	Orders int64 `json:"orders"`
}

// ProductFigs is one product's figures.
type ProductFigs struct {
	Product string `json:"product"`
	Money
}

// HouseholdSummary answers GET /api/v1/households/{id}.
type HouseholdSummary struct {
	HouseholdID       string     `json:"household_id"`
	VillageID         string     `json:"village_id"`
	Category          string     `json:"category"`
	Members           int64      `json:"members"`
	BaselineIncomeFen domain.Fen `json:"baseline_income_fen"`
	// AttributedSalesFen is the household's share of net sales in the period.
	AttributedSalesFen domain.Fen `json:"attributed_sales_fen"`
	RecordedIncomeFen  domain.Fen `json:"recorded_income_fen"`
	IncomeGainFen      domain.Fen `json:"income_gain_fen"`
	// IncomeByCategory splits IncomeGainFen into the monitoring system's
	// four categories: operating (attributed net sales and procurement),
	// wage, property (dividends, rent) and transfer (subsidies).
	IncomeByCategory domain.IncomeByCategory `json:"income_by_category"`
	// TrailingIncomeFen is the programme income (sales share + recorded) of
	// the 365 days ending on the period's last day, or today. Members and
	// BaselineIncomeFen are the household's as in force on that day, and
	// MonitoringLineFen the line of that day's year (domain.PerCapitaIncome,
	// Registry.HouseholdOn, Registry.MonitoringLineFor).
	TrailingIncomeFen   domain.Fen    `json:"trailing_365d_income_fen"`
	PerCapitaIncomeFen  domain.Fen    `json:"per_capita_income_fen"`
	MonitoringLineFen   domain.Fen    `json:"monitoring_line_fen"`
	BelowMonitoringLine bool          `json:"below_monitoring_line"`
	ByProduct           []ProductFigs `json:"by_product,omitempty"`
}

// EnterpriseSummary answers GET /api/v1/enterprises/{id}.
type EnterpriseSummary struct {
	EnterpriseID string `json:"enterprise_id"`
	Name         string `json:"name"`
	PartyBranch  string `json:"party_branch"`
	Money
	Orders             int64            `json:"orders"`
	EnterpriseShareFen domain.Fen       `json:"enterprise_share_fen"`
	HouseholdsReached  int64            `json:"households_reached"`
	ByProduct          []ProductFigs    `json:"by_product,omitempty"`
	ByVillage          []VillageFigs    `json:"by_village,omitempty"`
	ByDay              []DayFigs        `json:"by_day,omitempty"`
	Livestreams        []LivestreamFigs `json:"livestreams,omitempty"`
}

// VillageFigs is the sales of one village's produce and how they were shared.
type VillageFigs struct {
	VillageID string `json:"village_id"`
	Money
	HouseholdsFen domain.Fen `json:"households_fen"`
	CollectiveFen domain.Fen `json:"collective_fen"`
}

// LivestreamFigs is one livestream's figures within a breakdown.
type LivestreamFigs struct {
	LivestreamID string `json:"livestream_id"`
	Money
	Orders int64 `json:"orders"`
}

// VillageSummary answers GET /api/v1/villages/{id}.
type VillageSummary struct {
	VillageID string `json:"village_id"`
	Name      string `json:"name"`
	Town      string `json:"town"`
	// CollectiveIncomeFen is the village collective's share of net sales.
	CollectiveIncomeFen domain.Fen `json:"collective_income_fen"`
	// AttributedSalesFen is the sum of the village's households' shares.
	AttributedSalesFen domain.Fen `json:"attributed_sales_fen"`
	// ProductSalesFen is the net sales of listings of the village's produce.
	ProductSalesFen     domain.Fen `json:"product_sales_fen"`
	Households          int64      `json:"households"`
	HouseholdsReached   int64      `json:"households_reached"`
	BelowMonitoringLine int64      `json:"below_monitoring_line"`
}

// LivestreamSummary answers GET /api/v1/livestreams/{id}.
type LivestreamSummary struct {
	ID         string `json:"id"`
	Platform   string `json:"platform"`
	RoomID     string `json:"room_id"`
	AnchorName string `json:"anchor_name,omitempty"`
	Money
	Orders int64 `json:"orders"`
	Buyers int64 `json:"buyers"`
	// RefundRate is refunds ÷ GMV.
	RefundRate      float64      `json:"refund_rate"`
	FirstOrderAt    string       `json:"first_order_at,omitempty"` // China-time minute
	LastOrderAt     string       `json:"last_order_at,omitempty"`
	OrdersPerMinute float64      `json:"orders_per_minute"`
	PeakMinute      *MinuteFigs  `json:"peak_minute,omitempty"`
	ByMinute        []MinuteFigs `json:"by_minute,omitempty"`
	// Sessions are the room's separate shows (domain.Sessions), with
	// ByMinute only.
	Sessions []LivestreamSession `json:"sessions,omitempty"`
}

// MinuteFigs is a livestream's figures in one minute.
type MinuteFigs struct {
	Minute string `json:"minute"`
	Orders int64  `json:"orders"`
	Money
}

// UnattributedItem is one platform SKU sold without a listing.
type UnattributedItem struct {
	Platform    string `json:"platform"`
	SKUID       string `json:"sku_id"`
	ProductName string `json:"product_name"`
	Lines       int64  `json:"lines"`
	Money
	FirstAt string `json:"first_at"`
	LastAt  string `json:"last_at"`
}

// DeadLetterItem is one dead letter as the API shows it.
type DeadLetterItem struct {
	ID         string `json:"id"`
	Source     string `json:"source"`
	Reason     string `json:"reason"`
	ReceivedAt string `json:"received_at"`
	// Raw is the input as received when it is UTF-8 text; RawBase64 otherwise.
	Raw       string `json:"raw,omitempty"`
	RawBase64 string `json:"raw_base64,omitempty"`
	Bytes     int    `json:"bytes"`
}

// Page is a page of a list endpoint.
type Page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}
