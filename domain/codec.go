package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrUnknownEventType is returned by UnmarshalEvent for a type or version this
// build cannot read.
var ErrUnknownEventType = errors.New("unknown event type")

var eventFactories = map[EventType]func() Event{
	TypeDistrictDefined:      func() Event { return &DistrictDefined{} },
	TypeVillageRegistered:    func() Event { return &VillageRegistered{} },
	TypeHouseholdRegistered:  func() Event { return &HouseholdRegistered{} },
	TypeEnterpriseRegistered: func() Event { return &EnterpriseRegistered{} },
	TypeListingPublished:     func() Event { return &ListingPublished{} },
	TypeMonitoringLineSet:    func() Event { return &MonitoringLineSet{} },
	TypeHouseholdTermsSet:    func() Event { return &HouseholdTermsSet{} },
	TypeOrderCreated:         func() Event { return &OrderCreated{} },
	TypeOrderPaid:            func() Event { return &OrderPaid{} },
	TypeOrderShipped:         func() Event { return &OrderShipped{} },
	TypeOrderCompleted:       func() Event { return &OrderCompleted{} },
	TypeOrderCancelled:       func() Event { return &OrderCancelled{} },
	TypeRefundSucceeded:      func() Event { return &RefundSucceeded{} },
	TypeIncomeRecorded:       func() Event { return &IncomeRecorded{} },
	TypeCorrectionRecorded:   func() Event { return &CorrectionRecorded{} },
}

// NewEvent returns a zero event of a type and version to decode a payload
// into, or ErrUnknownEventType. It lets a codec outside the domain (the event
// log's, with a faster JSON package) decode what MarshalEvent wrote.
func NewEvent(t EventType, version int) (Event, error) {
	newEvent, ok := eventFactories[t]
	if !ok || version != CurrentVersion {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownEventType, t, version)
	}
	return newEvent(), nil
}

// MarshalEvent encodes an event's payload (JSON) at CurrentVersion.
func MarshalEvent(e Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", e.Type(), err)
	}
	return b, nil
}

// UnmarshalEvent decodes a payload written by MarshalEvent. Unknown fields are
// rejected so a payload of another schema is never half-read.
func UnmarshalEvent(t EventType, version int, payload []byte) (Event, error) {
	e, err := NewEvent(t, version)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", t, version, err)
	}
	return e, nil
}
