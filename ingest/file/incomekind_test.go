package file_test

import (
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
)

// TestIncomeKindNames imports a ledger that names its kinds in Chinese (and
// one in another case): each row is recorded under the kind's name in the
// log; a name that is not in the table (a category's name, 工资性收入, is
// not a kind) is rejected with every accepted name.
func TestIncomeKindNames(t *testing.T) {
	sum, sink := importBytes(t, readTestdata(t, "income-kinds.csv"), testOptions())
	if sum.Rows != 8 || sum.Events != 7 || sum.Rejected != 1 {
		t.Fatalf("summary %+v, want 8 rows, 7 events, 1 rejected", sum)
	}
	want := []string{"procurement", "wage", "wage", "dividend", "rent", "subsidy", "rent"}
	for i, e := range sink.events {
		if k := e.(*domain.IncomeRecorded).Kind; k != want[i] {
			t.Errorf("row %d: kind %q, want %q", i+2, k, want[i])
		}
	}
	if len(sink.dead) != 1 || !strings.Contains(sink.dead[0].Reason, `kind "工资性收入": unknown (want one of procurement (收购款`) ||
		!strings.Contains(sink.dead[0].Reason, "subsidy (补贴") {
		t.Errorf("dead letters %+v, want the 工资性收入 row with every accepted name", sink.dead)
	}
	if sum.Kind != file.KindIncome {
		t.Errorf("kind %q", sum.Kind)
	}
}
