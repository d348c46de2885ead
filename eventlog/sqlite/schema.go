package sqlite

import (
	stdsql "database/sql"
	"fmt"
	"strconv"
	"strings"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/eventlog"
)

// maxMessagesPerInsert keeps one multi-row INSERT under SQLite's limit of
// 32766 bound variables (three per message).
const maxMessagesPerInsert = 5000

// schemaAdapter is Watermill SQL's SchemaAdapter for SQLite: one table per
// topic whose INTEGER PRIMARY KEY is the offset. SQLite has a single writer,
// so offsets are assigned in commit order and a reader never skips a row that
// commits later with a smaller offset (the trap PostgreSQL's adapter needs
// transaction ids for).
type schemaAdapter struct {
	batchSize int
}

var _ wsql.SchemaAdapter = schemaAdapter{}

func messagesTable(topic string) string { return `"watermill_` + topic + `"` }

// attachedMessagesTable names the messages table from a subscriber's
// connection, where the topic's file is attached read-only as "log".
func attachedMessagesTable(topic string) string { return `log.` + messagesTable(topic) }

func (s schemaAdapter) SchemaInitializingQueries(p wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + messagesTable(p.Topic) + ` (
		"offset" INTEGER PRIMARY KEY AUTOINCREMENT,
		uuid TEXT NOT NULL,
		created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
		payload BLOB,
		metadata BLOB
	)`}}, nil
}

func (s schemaAdapter) InsertQuery(p wsql.InsertQueryParams) (wsql.Query, error) {
	if len(p.Msgs) > maxMessagesPerInsert {
		return wsql.Query{}, fmt.Errorf("%d messages in one insert, at most %d", len(p.Msgs), maxMessagesPerInsert)
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + messagesTable(p.Topic) + ` (uuid, payload, metadata) VALUES `)
	args := make([]any, 0, 3*len(p.Msgs))
	for i, msg := range p.Msgs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?)")
		meta, err := json.Marshal(msg.Metadata)
		if err != nil {
			return wsql.Query{}, fmt.Errorf("marshal metadata of message %s: %w", msg.UUID, err)
		}
		args = append(args, msg.UUID, []byte(msg.Payload), meta)
	}
	return wsql.Query{Query: b.String(), Args: args}, nil
}

func (s schemaAdapter) SelectQuery(p wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := p.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{Topic: p.Topic, ConsumerGroup: p.ConsumerGroup})
	if err != nil {
		return wsql.Query{}, err
	}
	return wsql.Query{
		Query: `SELECT "offset", uuid, payload, metadata FROM ` + attachedMessagesTable(p.Topic) +
			` WHERE "offset" > (` + next.Query + `) ORDER BY "offset" LIMIT ` + strconv.Itoa(s.batchSize),
		Args: next.Args,
	}, nil
}

// UnmarshalMessage also records the row's offset in the message metadata, so
// a consumer can store its position with what it writes.
func (s schemaAdapter) UnmarshalMessage(p wsql.UnmarshalMessageParams) (wsql.Row, error) {
	var r wsql.Row
	if err := p.Row.Scan(&r.Offset, &r.UUID, &r.Payload, &r.Metadata); err != nil {
		return wsql.Row{}, fmt.Errorf("scan message row: %w", err)
	}
	msg := message.NewMessage(string(r.UUID), r.Payload)
	if len(r.Metadata) > 0 {
		if err := json.Unmarshal(r.Metadata, &msg.Metadata); err != nil {
			return wsql.Row{}, fmt.Errorf("message %s at offset %d: metadata is not JSON: %w", r.UUID, r.Offset, err)
		}
	}
	if msg.Metadata == nil {
		msg.Metadata = message.Metadata{}
	}
	eventlog.SetPosition(msg, eventlog.Position{Partition: 0, Offset: r.Offset})
	r.Msg = msg
	return r, nil
}

// SubscribeIsolationLevel is ignored by SQLite; the subscriber's connection
// begins IMMEDIATE transactions instead (see groupDB).
func (s schemaAdapter) SubscribeIsolationLevel() stdsql.IsolationLevel { return stdsql.LevelDefault }

// offsetsAdapter stores each consumer group's acked offset in a table per topic.
type offsetsAdapter struct {
	// resumeAfter, if not nil, is written as the group's offset before it
	// subscribes: the consumer's own checkpoint wins.
	resumeAfter *int64
}

var _ wsql.OffsetsAdapter = offsetsAdapter{}

func offsetsTable(topic string) string { return `"watermill_offsets_` + topic + `"` }

func (a offsetsAdapter) SchemaInitializingQueries(p wsql.OffsetsSchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + offsetsTable(p.Topic) + ` (
		consumer_group TEXT NOT NULL PRIMARY KEY,
		offset_acked INTEGER NOT NULL,
		offset_consumed INTEGER NOT NULL
	)`}}, nil
}

func (a offsetsAdapter) AckMessageQuery(p wsql.AckMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{
		Query: `INSERT INTO ` + offsetsTable(p.Topic) + ` (consumer_group, offset_acked, offset_consumed) VALUES (?, ?, ?)
			ON CONFLICT(consumer_group) DO UPDATE SET offset_acked = excluded.offset_acked, offset_consumed = excluded.offset_consumed`,
		Args: []any{p.ConsumerGroup, p.LastRow.Offset, p.LastRow.Offset},
	}, nil
}

func (a offsetsAdapter) NextOffsetQuery(p wsql.NextOffsetQueryParams) (wsql.Query, error) {
	return wsql.Query{
		Query: `SELECT COALESCE((SELECT offset_acked FROM ` + offsetsTable(p.Topic) + ` WHERE consumer_group = ?), 0)`,
		Args:  []any{p.ConsumerGroup},
	}, nil
}

// ConsumedMessageQuery is not needed: the subscriber's IMMEDIATE transaction
// on the group's offsets file already excludes other consumers of the group.
func (a offsetsAdapter) ConsumedMessageQuery(wsql.ConsumedMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{}, nil
}

func (a offsetsAdapter) BeforeSubscribingQueries(p wsql.BeforeSubscribingQueriesParams) ([]wsql.Query, error) {
	if a.resumeAfter == nil {
		return nil, nil
	}
	return []wsql.Query{{
		Query: `INSERT INTO ` + offsetsTable(p.Topic) + ` (consumer_group, offset_acked, offset_consumed) VALUES (?, ?, ?)
			ON CONFLICT(consumer_group) DO UPDATE SET offset_acked = excluded.offset_acked, offset_consumed = excluded.offset_consumed`,
		Args: []any{p.ConsumerGroup, *a.resumeAfter, *a.resumeAfter},
	}}, nil
}
