//go:build chdb

package clickhouse_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	chdbpurego "github.com/chdb-io/chdb-go/chdb-purego"
)

// chdbConn runs the store's SQL on chDB, the ClickHouse engine as a
// library (libchdb.so, loaded by chdb-go through purego, no cgo), behind the
// driver.Conn the store talks to. It is the native connection's stand-in,
// not a copy of it:
//
//   - Exec and Query send the store's SQL text unchanged, but for NUL bytes
//     (which only the store's quoted literals hold) written as \0: chDB
//     takes the query as a C string. Results come back as
//     RowBinaryWithNamesAndTypes and Scan is as strict as clickhouse-go's
//     columns: a UInt64 scans into *uint64 only, so a server that answers
//     with another type than 18.16 fails here as it would fail the driver.
//   - A batch insert collects the columns the store appends and sends them
//     on Send as one INSERT … VALUES; each Go type must be the one
//     clickhouse-go appends to the column's type on this server.
//   - Settings and query ids passed in the context (clickhouse.Context) are
//     not read: clickhouse-go keeps them under an unexported key. The
//     session raises the parser's limits instead (see openChDB).
//   - chDB runs one query at a time per process: every call holds mu, so
//     the store's concurrent inserts and reads run one after the other.
//
// fail, when set, may fail a statement after it ran (an answer lost on the
// way back); statements records every statement's calling site in the store.
type chdbConn struct {
	mu      *sync.Mutex
	conn    chdbpurego.ChdbConn
	columns *columnTypes
	// closed is per chdbConn: a store closing its connection leaves the
	// process's one chDB session open for the next store.
	closed bool

	hooks *chdbHooks
}

// chdbHooks is shared by every chdbConn of the session.
type chdbHooks struct {
	// fail, when set, is asked after each statement ran whether to report
	// an error instead of its result.
	fail func(query string) error
	// ran is called with each statement that ran without error.
	ran func(query string)

	statements int           // run, failed or not
	spent      time.Duration // in chDB
}

// chdbSession is the process's one chDB session (chDB allows one at a
// time), opened by openChDB and closed by its cleanup.
type chdbSession struct {
	mu      sync.Mutex
	conn    chdbpurego.ChdbConn
	dir     string
	hooks   chdbHooks
	columns columnTypes
}

// columnTypes caches the tables' column types for PrepareBatch (a query
// of system.columns costs chDB a few milliseconds); any statement that is
// not a SELECT or an INSERT empties it. Guarded by the session's mu.
type columnTypes struct {
	tables map[string]map[string]string
}

var readsOrInserts = regexp.MustCompile(`^\s*(SELECT|INSERT|SET)\b`)

// openChDB opens a chDB session with its data in a new temporary directory
// (on tmpfs when there is one), with the server defaults the store is
// written for where chDB's differ: mutations_sync = 0 (chDB waits for
// mutations by default; a server does not, and the store polls
// system.mutations), and the parser limits the store's long IN lists
// raise per query (bigQuery).
func openChDB() (*chdbSession, error) {
	base := os.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "loquat-chdb-")
	if err != nil {
		return nil, err
	}
	conn, err := chdbpurego.NewConnectionFromConnString(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("chdb: open a session in %s: %w", dir, err)
	}
	s := &chdbSession{conn: conn, dir: dir}
	for _, set := range []string{
		"SET mutations_sync = 0",
		"SET max_query_size = 104857600",
		"SET max_ast_elements = 10000000",
		"SET max_expanded_ast_elements = 10000000",
	} {
		if _, err := s.run(set); err != nil {
			s.close()
			return nil, fmt.Errorf("chdb: %s: %w", set, err)
		}
	}
	return s, nil
}

func (s *chdbSession) close() {
	s.conn.Close()
	os.RemoveAll(s.dir)
}

// newConn returns a connection to the session for one store.
func (s *chdbSession) newConn() *chdbConn {
	return &chdbConn{mu: &s.mu, conn: s.conn, hooks: &s.hooks, columns: &s.columns}
}

// run runs one statement and returns its RowBinaryWithNamesAndTypes answer.
// The caller holds s.mu (or knows no one else runs).
func (s *chdbSession) run(query string) ([]byte, error) {
	return runChDB(s.conn, query)
}

func runChDB(conn chdbpurego.ChdbConn, query string) ([]byte, error) {
	res, err := conn.Query(strings.ReplaceAll(query, "\x00", `\0`), "RowBinaryWithNamesAndTypes")
	if err != nil {
		return nil, chdbError(err)
	}
	if res == nil {
		return nil, nil
	}
	defer res.Free()
	if err := res.Error(); err != nil {
		return nil, chdbError(err)
	}
	return append([]byte(nil), res.Buf()...), nil
}

var chdbCode = regexp.MustCompile(`^Code: (\d+)\. (?:DB::Exception: )?(.*?)(?: \(([A-Z_]+)\))?(?: \(version [^)]*\))?\s*$`)

// chdbError turns chDB's exception text into the *clickhouse.Exception the
// native driver returns, so the store's checks of error codes
// (serverError) work alike.
func chdbError(err error) error {
	m := chdbCode.FindStringSubmatch(strings.TrimSpace(err.Error()))
	if m == nil {
		return fmt.Errorf("chdb: %w", err)
	}
	code, _ := strconv.Atoi(m[1])
	return &ch.Exception{Code: int32(code), Name: m[3], Message: m[2]}
}

var _ driver.Conn = (*chdbConn)(nil)

// exec runs a statement for the store, under the session's lock.
func (c *chdbConn) exec(ctx context.Context, query string, args []any) ([]byte, error) {
	if len(args) > 0 {
		return nil, errors.New("chdb conn: the store passes no driver arguments; got some")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("chdb conn: closed")
	}
	if !readsOrInserts.MatchString(query) {
		c.columns.tables = nil // DDL: a table's columns may change
	}
	start := time.Now()
	out, err := runChDB(c.conn, query)
	c.hooks.statements++
	c.hooks.spent += time.Since(start)
	if err != nil {
		return nil, err
	}
	if c.hooks.ran != nil {
		c.hooks.ran(query)
	}
	if c.hooks.fail != nil {
		if err := c.hooks.fail(query); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *chdbConn) Exec(ctx context.Context, query string, args ...any) error {
	_, err := c.exec(ctx, query, args)
	return err
}

func (c *chdbConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	out, err := c.exec(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return decodeRowBinary(out)
}

func (c *chdbConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return &chdbRow{err: err}
	}
	if !rows.Next() {
		return &chdbRow{err: sql.ErrNoRows}
	}
	return &chdbRow{rows: rows.(*chdbRows)}
}

func (c *chdbConn) Select(ctx context.Context, dest any, query string, args ...any) error {
	return errors.New("chdb conn: Select is not used by the store")
}

func (c *chdbConn) AsyncInsert(ctx context.Context, query string, wait bool, args ...any) error {
	return errors.New("chdb conn: AsyncInsert is not used by the store")
}

func (c *chdbConn) Contributors() []string { return nil }

func (c *chdbConn) ServerVersion() (*driver.ServerVersion, error) {
	rows, err := c.Query(context.Background(), "SELECT version()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var v string
	if !rows.Next() || rows.Scan(&v) != nil {
		return nil, errors.New("chdb conn: no version")
	}
	sv := &driver.ServerVersion{Name: "chDB", DisplayName: v}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		major, _ := strconv.Atoi(parts[0])
		minor, _ := strconv.Atoi(parts[1])
		sv.Version.Major, sv.Version.Minor = uint64(major), uint64(minor)
	}
	return sv, nil
}

func (c *chdbConn) Ping(ctx context.Context) error { return c.Exec(ctx, "SELECT 1") }

func (c *chdbConn) Stats() driver.Stats { return driver.Stats{MaxOpenConns: 1, Open: 1} }

func (c *chdbConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// PrepareBatch starts an insert of the store's form
// "INSERT INTO db.table (col, …)": the columns' types are read from the
// table, so Append checks each Go type as clickhouse-go would.
func (c *chdbConn) PrepareBatch(ctx context.Context, query string, _ ...driver.PrepareBatchOption) (driver.Batch, error) {
	m := insertForm.FindStringSubmatch(query)
	if m == nil {
		return nil, fmt.Errorf("chdb conn: not an insert of the store's form: %q", query)
	}
	table, names := m[1], strings.Split(m[2], ",")
	db, name, ok := strings.Cut(strings.ReplaceAll(table, "`", ""), ".")
	if !ok {
		return nil, fmt.Errorf("chdb conn: insert into %s: the store qualifies every table with its database", table)
	}
	types, err := c.columnTypes(ctx, db, name)
	if err != nil {
		return nil, err
	}
	b := &chdbBatch{ctx: ctx, conn: c, query: query}
	for _, n := range names {
		n = strings.TrimSpace(n)
		typ, ok := types[n]
		if !ok {
			return nil, &ch.Exception{Code: 16, Name: "NO_SUCH_COLUMN_IN_TABLE", Message: fmt.Sprintf("no column %s in table %s", n, table)}
		}
		b.cols = append(b.cols, &chdbColumn{name: n, typ: typ})
	}
	return b, nil
}

// columnTypes returns the types of a table's columns by name.
func (c *chdbConn) columnTypes(ctx context.Context, db, table string) (map[string]string, error) {
	key := db + "." + table
	c.mu.Lock()
	types, ok := c.columns.tables[key]
	c.mu.Unlock()
	if ok {
		return types, nil
	}
	types = map[string]string{}
	rows, err := c.Query(ctx, "SELECT name, type FROM system.columns WHERE database = "+chdbLit(db)+" AND table = "+chdbLit(table))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		types[name] = typ
	}
	if len(types) == 0 {
		return nil, &ch.Exception{Code: 60, Name: "UNKNOWN_TABLE", Message: fmt.Sprintf("table %s.%s does not exist", db, table)}
	}
	c.mu.Lock()
	if c.columns.tables == nil {
		c.columns.tables = map[string]map[string]string{}
	}
	c.columns.tables[key] = types
	c.mu.Unlock()
	return types, nil
}

var insertForm = regexp.MustCompile(`^\s*INSERT INTO (\S+) \(([^)]*)\)\s*$`)

// chdbBatch is an insert being built.
type chdbBatch struct {
	ctx   context.Context
	conn  *chdbConn
	query string
	cols  []*chdbColumn
	sent  bool
}

type chdbColumn struct {
	name, typ string
	values    []reflect.Value // slices appended, in order
	rows      int
}

func (col *chdbColumn) Append(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return fmt.Errorf("chdb conn: column %s: Append takes a slice, got %T", col.name, v)
	}
	if want, ok := goTypeOf(col.typ); !ok || rv.Type().Elem() != want {
		return fmt.Errorf("chdb conn: column %s is %s on this server: clickhouse-go does not append %T to it", col.name, col.typ, v)
	}
	col.values = append(col.values, rv)
	col.rows += rv.Len()
	return nil
}

func (col *chdbColumn) AppendRow(v any) error {
	return errors.New("chdb conn: AppendRow is not used by the store")
}

func (b *chdbBatch) Column(i int) driver.BatchColumn {
	if i < 0 || i >= len(b.cols) {
		return badColumn{fmt.Errorf("chdb conn: column %d of %d", i, len(b.cols))}
	}
	return b.cols[i]
}

type badColumn struct{ err error }

func (c badColumn) Append(any) error    { return c.err }
func (c badColumn) AppendRow(any) error { return c.err }

func (b *chdbBatch) Abort() error {
	b.sent = true
	return nil
}

func (b *chdbBatch) Append(v ...any) error {
	return errors.New("chdb conn: row-wise Append is not used by the store")
}

func (b *chdbBatch) AppendStruct(v any) error {
	return errors.New("chdb conn: AppendStruct is not used by the store")
}

// Flush is a no-op: the native protocol sends a block of the insert, which
// the server squashes with the others into one part; here the whole insert
// is one statement.
func (b *chdbBatch) Flush() error { return nil }

func (b *chdbBatch) IsSent() bool { return b.sent }

func (b *chdbBatch) Rows() int {
	if len(b.cols) == 0 {
		return 0
	}
	return b.cols[0].rows
}

// Send renders the rows as VALUES and runs the insert.
func (b *chdbBatch) Send() error {
	if b.sent {
		return errors.New("chdb conn: batch already sent")
	}
	b.sent = true
	n := b.Rows()
	for _, c := range b.cols {
		if c.rows != n {
			return fmt.Errorf("chdb conn: column %s has %d rows, want %d", c.name, c.rows, n)
		}
	}
	if n == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(b.query)
	q.WriteString(" VALUES ")
	cursors := make([]struct{ slice, row int }, len(b.cols))
	for r := 0; r < n; r++ {
		if r > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for i, c := range b.cols {
			if i > 0 {
				q.WriteByte(',')
			}
			cur := &cursors[i]
			for cur.row >= c.values[cur.slice].Len() {
				cur.slice, cur.row = cur.slice+1, 0
			}
			writeValue(&q, c.values[cur.slice].Index(cur.row))
			cur.row++
		}
		q.WriteByte(')')
	}
	_, err := b.conn.exec(b.ctx, q.String(), nil)
	return err
}

// writeValue writes a Go value the store appends as a VALUES literal.
func writeValue(q *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		q.WriteString(chdbLit(v.String()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		q.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		q.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Bool:
		q.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Slice:
		q.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				q.WriteByte(',')
			}
			writeValue(q, v.Index(i))
		}
		q.WriteByte(']')
	case reflect.Struct: // time.Time: seconds since the epoch, whatever the zone
		q.WriteString(strconv.FormatInt(v.Interface().(time.Time).Unix(), 10))
	default:
		panic("chdb conn: no literal for " + v.Type().String())
	}
}

// chdbLit quotes a string literal; NUL is written \0 by runChDB.
func chdbLit(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// goTypeOf is the Go type clickhouse-go appends to and scans from a column
// of the ClickHouse type, for the types the store uses.
func goTypeOf(typ string) (reflect.Type, bool) {
	if inner, ok := strings.CutPrefix(typ, "Array("); ok {
		elem, ok := goTypeOf(strings.TrimSuffix(inner, ")"))
		if !ok {
			return nil, false
		}
		return reflect.SliceOf(elem), true
	}
	if strings.HasPrefix(typ, "DateTime(") {
		typ = "DateTime"
	}
	t, ok := scalarTypes[typ]
	return t, ok
}

var scalarTypes = map[string]reflect.Type{
	"UInt8": reflect.TypeFor[uint8](), "UInt16": reflect.TypeFor[uint16](), "UInt32": reflect.TypeFor[uint32](), "UInt64": reflect.TypeFor[uint64](),
	"Int8": reflect.TypeFor[int8](), "Int16": reflect.TypeFor[int16](), "Int32": reflect.TypeFor[int32](), "Int64": reflect.TypeFor[int64](),
	"Float64": reflect.TypeFor[float64](), "String": reflect.TypeFor[string](), "DateTime": reflect.TypeFor[time.Time](),
	"Bool": reflect.TypeFor[bool](),
}

// chdbRows is a decoded RowBinaryWithNamesAndTypes answer.
type chdbRows struct {
	names, types []string
	rows         [][]reflect.Value
	next         int
}

func decodeRowBinary(b []byte) (*chdbRows, error) {
	out := &chdbRows{}
	if len(b) == 0 {
		return out, nil // a statement without an answer
	}
	d := &rowBinary{b: b}
	n := int(d.uvarint())
	for range n {
		out.names = append(out.names, d.str())
	}
	for range n {
		out.types = append(out.types, d.str())
	}
	for d.err == nil && d.off < len(d.b) {
		row := make([]reflect.Value, n)
		for i, typ := range out.types {
			row[i] = d.value(typ)
		}
		out.rows = append(out.rows, row)
	}
	if d.err != nil {
		return nil, fmt.Errorf("chdb conn: decode the answer: %w", d.err)
	}
	return out, nil
}

type rowBinary struct {
	b   []byte
	off int
	err error
}

func (d *rowBinary) take(n int) []byte {
	if d.err != nil {
		return make([]byte, n)
	}
	if d.off+n > len(d.b) {
		d.err = fmt.Errorf("%d bytes wanted at %d of %d", n, d.off, len(d.b))
		return make([]byte, n)
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *rowBinary) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = fmt.Errorf("bad length at %d", d.off)
		return 0
	}
	d.off += n
	return v
}

func (d *rowBinary) str() string { return string(d.take(int(d.uvarint()))) }

func (d *rowBinary) value(typ string) reflect.Value {
	le := binary.LittleEndian
	if inner, ok := strings.CutPrefix(typ, "Array("); ok {
		inner = strings.TrimSuffix(inner, ")")
		elem, ok := goTypeOf(inner)
		if !ok {
			d.fail(typ)
			return reflect.Value{}
		}
		n := int(d.uvarint())
		s := reflect.MakeSlice(reflect.SliceOf(elem), n, n)
		for i := range n {
			s.Index(i).Set(d.value(inner))
		}
		return s
	}
	if strings.HasPrefix(typ, "DateTime(") {
		typ = "DateTime"
	}
	switch typ {
	case "UInt8":
		return reflect.ValueOf(d.take(1)[0])
	case "Bool":
		return reflect.ValueOf(d.take(1)[0] != 0)
	case "UInt16":
		return reflect.ValueOf(le.Uint16(d.take(2)))
	case "UInt32":
		return reflect.ValueOf(le.Uint32(d.take(4)))
	case "UInt64":
		return reflect.ValueOf(le.Uint64(d.take(8)))
	case "Int8":
		return reflect.ValueOf(int8(d.take(1)[0]))
	case "Int16":
		return reflect.ValueOf(int16(le.Uint16(d.take(2))))
	case "Int32":
		return reflect.ValueOf(int32(le.Uint32(d.take(4))))
	case "Int64":
		return reflect.ValueOf(int64(le.Uint64(d.take(8))))
	case "Float64":
		return reflect.ValueOf(math.Float64frombits(le.Uint64(d.take(8))))
	case "String":
		return reflect.ValueOf(d.str())
	case "DateTime":
		return reflect.ValueOf(time.Unix(int64(le.Uint32(d.take(4))), 0))
	}
	d.fail(typ)
	return reflect.Value{}
}

func (d *rowBinary) fail(typ string) {
	if d.err == nil {
		d.err = fmt.Errorf("type %s: not decoded (the store uses no such column)", typ)
	}
}

func (r *chdbRows) Next() bool {
	if r.next >= len(r.rows) {
		return false
	}
	r.next++
	return true
}

// Scan is as strict as clickhouse-go's columns: the destination is a
// pointer to the Go type of the column's type, or an sql.Scanner.
func (r *chdbRows) Scan(dest ...any) error {
	if r.next == 0 || r.next > len(r.rows) {
		return errors.New("chdb conn: Scan without a row")
	}
	if len(dest) != len(r.types) {
		return fmt.Errorf("chdb conn: expected %d destination arguments in Scan, not %d", len(r.types), len(dest))
	}
	row := r.rows[r.next-1]
	for i, d := range dest {
		if sc, ok := d.(sql.Scanner); ok {
			if err := sc.Scan(row[i].Interface()); err != nil {
				return err
			}
			continue
		}
		dv := reflect.ValueOf(d)
		if dv.Kind() != reflect.Pointer || dv.IsNil() || dv.Elem().Type() != row[i].Type() {
			return fmt.Errorf("chdb conn: column %s is %s on this server: clickhouse-go does not scan it into %T", r.names[i], r.types[i], d)
		}
		dv.Elem().Set(row[i])
	}
	return nil
}

func (r *chdbRows) ScanStruct(dest any) error {
	return errors.New("chdb conn: ScanStruct is not used by the store")
}

func (r *chdbRows) ColumnTypes() []driver.ColumnType { return nil }

func (r *chdbRows) Totals(dest ...any) error { return nil }

func (r *chdbRows) Columns() []string { return r.names }

func (r *chdbRows) Close() error {
	r.next = len(r.rows) + 1
	return nil
}

func (r *chdbRows) Err() error { return nil }

type chdbRow struct {
	rows *chdbRows
	err  error
}

func (r *chdbRow) Err() error { return r.err }

func (r *chdbRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Scan(dest...)
}

func (r *chdbRow) ScanStruct(dest any) error { return r.rows.ScanStruct(dest) }
