package file

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// jsonlDecoder reads one JSON object per line, keyed by the CSV column names.
// The file's kind comes from the first object with an order_id or a
// household_id key (or a Chinese name of one: 订单号, 农户编号, ...); lines
// before it that say neither are rejected.
type jsonlDecoder struct{ k *kind }

func (d *jsonlDecoder) kind() *kind { return d.k }

func (d *jsonlDecoder) decode(line []byte) (record, problems) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil || obj == nil {
		return nil, problems{fmt.Sprintf("not a JSON object: %v", errOr(err, "null"))}
	}
	if d.k == nil {
		isOrder, isIncome := false, false
		for key := range obj {
			isOrder = isOrder || ordersKind.column(key) == "order_id"
			isIncome = isIncome || incomeKind.column(key) == "household_id"
		}
		switch {
		case isOrder == isIncome:
			return nil, problems{"cannot tell orders from income: want either an order_id or a household_id key"}
		case isOrder:
			d.k = ordersKind
		default:
			d.k = incomeKind
		}
	}
	var p problems
	var unknown []string
	r := make(record, len(obj))
	keys := make([]string, 0, len(obj))
	for key := range obj {
		keys = append(keys, key)
	}
	slices.Sort(keys) // map order is random; reasons (and dead-letter ids) must not be
	for _, key := range keys {
		col := d.k.column(key)
		if !d.k.known(col) {
			unknown = append(unknown, strconv.Quote(key))
			continue
		}
		v, ok := jsonText(obj[key])
		if !ok {
			p.addf("%s: must be a string or a number, not %s", key, jsonType(obj[key]))
			continue
		}
		r[col] = v
	}
	if len(unknown) > 0 {
		p.addf("unknown key %s (the %s columns are %s)", strings.Join(unknown, ", "), d.k.name, d.k.columnsText())
	}
	return r, p
}

// jsonText returns a string's value or a number's exact text (json.RawMessage
// keeps "12.50" as written: amounts never pass through float64); null is "".
func jsonText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", false
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil
	case string(raw) == "null":
		return "", true
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		return string(raw), true
	}
	return "", false
}

func jsonType(raw json.RawMessage) string {
	switch raw = bytes.TrimSpace(raw); {
	case bytes.HasPrefix(raw, []byte("{")):
		return "an object"
	case bytes.HasPrefix(raw, []byte("[")):
		return "an array"
	}
	return "a boolean"
}

func errOr(err error, s string) string {
	if err != nil {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return s
}
