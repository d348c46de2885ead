package api

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/export"
	"github.com/loquat-dev/loquat/projections"
)

// query holds a request's parsed query parameters; only those its route
// declares are ever set.
type query struct {
	period    projections.Period
	paging    projections.Paging
	villageID string
	belowLine *bool
	// householdID and target filter corrections.
	householdID string
	target      string
	format      export.Format // set by format=…, on routes that page
	page        string        // the stream's page=…
	streamID    string        // the stream's id=…
	// asOf, when set, answers from the read model as the log stood at the
	// end of that China-time day (every read route takes it).
	asOf string
	// reason and category filter the monitoring list.
	reason   string
	category string
}

// param is one query parameter a route may declare: its name and how its
// value is checked and stored.
type param struct {
	name  string
	parse func(q *query, v string) error
}

// The parameters routes declare. A new route lists the ones it takes (see
// mountQueries); parseQuery refuses everything else.
var (
	paramFrom   = param{"from", func(q *query, v string) error { return parseDate(&q.period.From, v) }}
	paramTo     = param{"to", func(q *query, v string) error { return parseDate(&q.period.To, v) }}
	paramLimit  = param{"limit", parseLimit}
	paramOffset = param{"offset", parseOffset}
	// paramSort's keys are checked by the list's query (projections), which
	// owns them; here only its shape.
	paramSort      = param{"sort", func(q *query, v string) error { return parseSort(&q.paging.Sort, v) }}
	paramVillageID = param{"village_id", func(q *query, v string) error { return parseID(&q.villageID, v) }}
	paramAsOf      = param{"as_of", func(q *query, v string) error { return parseDate(&q.asOf, v) }}
	paramBelowLine = param{"below_line", func(q *query, v string) error {
		b, err := parseBool(v)
		q.belowLine = &b
		return err
	}}

	paramHouseholdID = param{"household_id", func(q *query, v string) error { return parseID(&q.householdID, v) }}
	// paramTarget is a correction's target, "line:platform/order/line",
	// "income:<event id>" or "conflict:<id>": ids joined, so longer than one.
	paramTarget = param{"target", func(q *query, v string) error {
		kind, rest, _ := strings.Cut(v, ":")
		if kind != "line" && kind != "income" && kind != "conflict" {
			return fmt.Errorf("is none of line:PLATFORM/ORDER_ID/LINE_ID, income:ID, conflict:ID")
		}
		for _, part := range strings.Split(rest, "/") {
			if err := checkID(part); err != nil {
				return err
			}
		}
		q.target = v
		return nil
	}}
	paramReason   = param{"reason", func(q *query, v string) error { return parseOneOf(&q.reason, v, domain.MonitoringReasons()) }}
	paramCategory = param{"category", func(q *query, v string) error { return parseID(&q.category, v) }}
	// paramStatementFormat is a statement's format=xlsx: a statement is not
	// a list, so it prints as its own workbook (lines and a totals block).
	paramStatementFormat = param{"format", func(q *query, v string) error {
		if v != string(export.XLSX) {
			return fmt.Errorf("is not xlsx (a statement downloads as xlsx)")
		}
		q.format = export.XLSX
		return nil
	}}

	periodParams = []param{paramFrom, paramTo}
	pageParams   = []param{paramLimit, paramOffset}
)

// params joins parameter lists (a route's period, paging and own ones).
func params(lists ...[]param) []param { return slices.Concat(lists...) }

// maxIDBytes bounds an id in a path or a filter: registry ids are far
// shorter, and a longer one is a mistake, not a lookup.
const maxIDBytes = 128

// parseQuery checks the request's query string against the parameters its
// route declares and parses them. Every problem is reported at once, each
// naming its parameter: an undeclared parameter (a typo must not silently
// widen an answer), one given twice or empty, or a bad value.
func parseQuery(c *gin.Context, declared []param) (query, error) {
	q := query{paging: projections.Paging{Limit: defaultLimit}}
	values, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return q, badRequest("the query string is malformed: %v", err)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	var problems []string
	for _, name := range names {
		i := slices.IndexFunc(declared, func(p param) bool { return p.name == name })
		vs := values[name]
		switch {
		case i < 0:
			problems = append(problems, fmt.Sprintf("unknown parameter %s: %s takes %s", quoteName(name), routeOf(c), declaredNames(declared)))
		case len(vs) > 1:
			problems = append(problems, fmt.Sprintf("%s is given %d times; give it once", name, len(vs)))
		case vs[0] == "":
			problems = append(problems, fmt.Sprintf("%s is empty; give a value or leave it out", name))
		default:
			if err := declared[i].parse(&q, vs[0]); err != nil {
				problems = append(problems, fmt.Sprintf("%s=%s %v", name, quoteName(vs[0]), err))
			}
		}
	}
	if len(problems) == 0 && q.period.From != "" && q.period.To != "" && q.period.From > q.period.To {
		problems = append(problems, fmt.Sprintf("from=%s is after to=%s", q.period.From, q.period.To))
	}
	if len(problems) > 0 {
		return q, badRequest("%s", strings.Join(problems, "; "))
	}
	return q, nil
}

func routeOf(c *gin.Context) string {
	if p := c.FullPath(); p != "" {
		return p
	}
	return c.Request.URL.Path
}

func declaredNames(declared []param) string {
	if len(declared) == 0 {
		return "no parameters"
	}
	names := make([]string, len(declared))
	for i, p := range declared {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

// quoteName quotes a parameter's name or value for an error, bounded so
// that a huge one does not come back whole.
func quoteName(s string) string {
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:64], "") + "…"
	}
	return strconv.Quote(s)
}

func parseDate(dst *string, v string) error {
	t, err := time.Parse(domain.DayLayout, v)
	if err != nil || t.Format(domain.DayLayout) != v {
		return fmt.Errorf("is not a date YYYY-MM-DD")
	}
	*dst = v
	return nil
}

func parseLimit(q *query, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return fmt.Errorf("must be an integer from 1 to %d", maxLimit)
	}
	q.paging.Limit = n
	return nil
}

func parseOffset(q *query, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("must be a non-negative integer")
	}
	q.paging.Offset = n
	return nil
}

// parseBool takes only true and false: strconv.ParseBool's 1, t, TRUE …
// are not documented, and a client relying on them would break the day the
// API read them differently.
func parseBool(v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("must be true or false")
}

func parseSort(dst *string, v string) error {
	key := strings.TrimPrefix(v, "-")
	if key == "" || len(key) > 64 || strings.ContainsFunc(key, func(r rune) bool { return r != '_' && (r < 'a' || r > 'z') }) {
		return fmt.Errorf("is not a sort key (a field name such as id, optionally prefixed with - for descending)")
	}
	*dst = v
	return nil
}

func parseID(dst *string, v string) error {
	if err := checkID(v); err != nil {
		return err
	}
	*dst = v
	return nil
}

// checkID checks an id's shape: ids key registry entries and livestreams,
// so they are short, valid UTF-8 and free of spaces and control characters.
func checkID(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("is empty")
	case len(v) > maxIDBytes:
		return fmt.Errorf("is %d bytes long, at most %d", len(v), maxIDBytes)
	case !utf8.ValidString(v):
		return fmt.Errorf("is not valid UTF-8")
	case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("contains spaces or control characters")
	}
	return nil
}

// pathID checks the route's {id}; a livestream's id is platform:room.
func pathID(c *gin.Context, livestream bool) (string, error) {
	id := c.Param("id")
	if err := checkID(id); err != nil {
		return "", badRequest("id %s %v", quoteName(id), err)
	}
	if livestream {
		platform, room, ok := strings.Cut(id, ":")
		if !ok || platform == "" || room == "" {
			return "", badRequest("id %s is not a livestream id platform:room (e.g. douyin:6823941120781224715)", quoteName(id))
		}
	}
	return id, nil
}

func parseOneOf(dst *string, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("is not one of %s", strings.Join(allowed, ", "))
	}
	*dst = v
	return nil
}
