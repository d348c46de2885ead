package douyinsim

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// SKU is a product on sale in the shop.
type SKU struct {
	// SKUID is Douyin's sku_id, a decimal 64-bit integer, as in the registry.
	SKUID string
	// Name is the product_name buyers see.
	Name string
	// Product is the kind of produce; the anchor's "loquat" segments are
	// the day's bursts.
	Product string
	// PriceFen is the unit price before discounts.
	PriceFen domain.Fen
}

// ProductLoquat is the product the anchor's bursts are made of.
const ProductLoquat = "loquat"

// DayOptions configures GenerateLiveDay.
type DayOptions struct {
	// Date is the China-time day of the livestream, YYYY-MM-DD. Required.
	Date string
	// Catalogue is what the shop sells; the anchor presents its SKUs in turn,
	// one per segment. Required.
	Catalogue []SKU
	// RoomID is the live room's room_id. Required.
	RoomID int64
	// AnchorID is the anchor's author_id. Required.
	AnchorID int64
	// AnchorName is the anchor's author_name. Default "城厢助农直播间".
	AnchorName string
	// ShopID and ShopName are the shop's. Default 1234567, "壶山助农优选".
	ShopID   int64
	ShopName string
	// Orders is how many orders are paid; a few created-but-never-paid
	// orders come on top. Default 1500.
	Orders int
	// Seed makes the day: equal options give an equal day. Default 0.
	Seed uint64
	// LiveStart is when the stream starts, after midnight. Default 19h.
	LiveStart time.Duration
	// LiveLength is how long it runs; it must end by midnight. Default 4h.
	LiveLength time.Duration
	// SegmentLength is how long the anchor presents one SKU. Default 15m.
	SegmentLength time.Duration
	// DuplicatePercent is the share of messages pushed twice, in percent.
	// Default 5; -1 for none.
	DuplicatePercent int
}

// maxOrders keeps generated ids inside their ranges (see ids in generate.go).
const maxOrders = 1_000_000

func (o *DayOptions) setDefaults() {
	if o.AnchorName == "" {
		o.AnchorName = "城厢助农直播间"
	}
	if o.ShopID == 0 {
		o.ShopID = 1234567
	}
	if o.ShopName == "" {
		o.ShopName = "壶山助农优选"
	}
	if o.Orders == 0 {
		o.Orders = 1500
	}
	if o.LiveStart == 0 {
		o.LiveStart = 19 * time.Hour
	}
	if o.LiveLength == 0 {
		o.LiveLength = 4 * time.Hour
	}
	if o.SegmentLength == 0 {
		o.SegmentLength = 15 * time.Minute
	}
	if o.DuplicatePercent == 0 {
		o.DuplicatePercent = 5
	}
}

// Validate reports every problem at once.
func (o DayOptions) Validate() error {
	var errs []error
	if _, err := domain.ParseDay(o.Date); err != nil {
		errs = append(errs, fmt.Errorf("douyinsim: %w", err))
	}
	if len(o.Catalogue) == 0 {
		errs = append(errs, errors.New("douyinsim: catalogue is empty"))
	}
	seen := map[string]bool{}
	for i, s := range o.Catalogue {
		if n, err := strconv.ParseInt(s.SKUID, 10, 64); err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("douyinsim: sku %d: sku_id %q is not a positive 64-bit integer", i, s.SKUID))
		}
		if seen[s.SKUID] {
			errs = append(errs, fmt.Errorf("douyinsim: sku %d: sku_id %s repeats", i, s.SKUID))
		}
		seen[s.SKUID] = true
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("douyinsim: sku %s has no name", s.SKUID))
		}
		if s.PriceFen <= 0 {
			errs = append(errs, fmt.Errorf("douyinsim: sku %s price is %d fen, must be positive", s.SKUID, s.PriceFen))
		}
	}
	if o.RoomID <= 0 {
		errs = append(errs, fmt.Errorf("douyinsim: room_id %d must be positive", o.RoomID))
	}
	if o.AnchorID <= 0 {
		errs = append(errs, fmt.Errorf("douyinsim: anchor (author_id) %d must be positive", o.AnchorID))
	}
	if o.Orders < 1 || o.Orders > maxOrders {
		errs = append(errs, fmt.Errorf("douyinsim: orders is %d, must be 1 to %d", o.Orders, maxOrders))
	}
	if o.LiveStart < 0 || o.LiveLength <= 0 || o.LiveStart+o.LiveLength > 24*time.Hour {
		errs = append(errs, fmt.Errorf("douyinsim: live from %s for %s does not fit in the day", o.LiveStart, o.LiveLength))
	}
	if o.SegmentLength < time.Minute {
		errs = append(errs, fmt.Errorf("douyinsim: segment length %s is under a minute", o.SegmentLength))
	}
	if o.DuplicatePercent < -1 || o.DuplicatePercent > 100 {
		errs = append(errs, fmt.Errorf("douyinsim: duplicate percent %d is not -1 to 100", o.DuplicatePercent))
	}
	return errors.Join(errs...)
}
