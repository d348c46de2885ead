package export

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// column is one exported field: where it is in the row and how it reads.
type column struct {
	key    string // JSON path, e.g. gmv_fen or kept.event_id
	header string
	index  []int // reflect field index path from the row
	kind   cellKind
}

type cellKind int

const (
	cellText cellKind = iota
	cellYuan          // domain.Fen: yuan with two decimals
	cellInt
	cellFloat
	cellBool
	cellTime
	cellList // []string, joined
)

var (
	fenType     = reflect.TypeFor[domain.Fen]()
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// columnsOf lists t's exported columns in field order, as encoding/json
// names them: embedded structs are flattened, named struct fields
// (income_by_category, kept, rejected) become prefixed columns. Lists of
// structs (the by_… breakdowns) and pointers to structs are left out: a
// sheet has one line per row, and the breakdowns have their own GETs.
func columnsOf(t reflect.Type) []column {
	var out []column
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, prefix, idx)
				continue
			}
			if name == "" {
				name = f.Name
			}
			key := prefix + name
			kind, ok := kindOf(f.Type)
			switch {
			case ok:
				out = append(out, column{key: key, header: headerOf(key, kind), index: idx, kind: kind})
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, key+".", idx)
			}
		}
	}
	walk(t, "", nil)
	return out
}

func kindOf(t reflect.Type) (cellKind, bool) {
	switch {
	case t == fenType:
		return cellYuan, true
	case t == timeType:
		return cellTime, true
	case t == rawJSONType:
		return cellText, true
	}
	switch t.Kind() {
	case reflect.String:
		return cellText, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cellInt, true
	case reflect.Float32, reflect.Float64:
		return cellFloat, true
	case reflect.Bool:
		return cellBool, true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return cellList, true
		}
	}
	return 0, false
}

// field returns the column's value in row v (a struct, or a pointer to one).
func (c column) field(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v.FieldByIndex(c.index)
}

// Yuan formats fen as yuan with exactly two decimals ("-1234.05"), by
// integer arithmetic: never through a float.
func Yuan(fen domain.Fen) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u // two's complement: right for math.MinInt64 too
	}
	s := strconv.FormatUint(u/100, 10) + "." + strconv.FormatUint(u%100/10, 10) + strconv.FormatUint(u%10, 10)
	if neg {
		return "-" + s
	}
	return s
}

// chinaTime is how times are shown: China time to the second, as the
// console shows them (the JSON API keeps RFC 3339).
var chinaTime = time.FixedZone("CST", 8*3600)

const timeLayout = "2006-01-02 15:04:05"

// text is the cell as text, for CSV (and for .xlsx text cells).
func (c column) text(f reflect.Value) string {
	switch c.kind {
	case cellYuan:
		return Yuan(domain.Fen(f.Int()))
	case cellInt:
		if f.CanInt() {
			return strconv.FormatInt(f.Int(), 10)
		}
		return strconv.FormatUint(f.Uint(), 10)
	case cellFloat:
		return strconv.FormatFloat(f.Float(), 'f', -1, 64)
	case cellBool:
		if f.Bool() {
			return "是"
		}
		return "否"
	case cellTime:
		t := f.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.In(chinaTime).Format(timeLayout)
	case cellList:
		parts := make([]string, f.Len())
		for i := range parts {
			parts[i] = f.Index(i).String()
		}
		return strings.Join(parts, ",")
	}
	if f.Kind() == reflect.Slice { // json.RawMessage
		return string(f.Bytes())
	}
	return f.String()
}
