package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// BenchmarkAuthCost serves the same requests over a real SQLite read model
// (a generated district of 3,000 orders) with authentication off and on
// (a district_staff bearer token, checked against a real accounts file,
// and an enterprise token, whose answers are composed in its scope), and
// reports each request's p99 beside ns/op:
//
//	go test -run XXX -bench AuthCost -benchtime 2000x ./api
func BenchmarkAuthCost(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "readmodel.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	storetest.Generate(1, 3000).Project(b, store, 0)
	q := &projections.Queries{Store: store}
	svc, err := auth.Open(ctx, auth.Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	tokens := map[string]string{}
	for _, a := range []auth.NewAccount{
		{Name: "staff", Role: auth.RoleDistrictStaff, Password: "a long enough password"},
		{Name: "e1", Role: auth.RoleEnterprise, EnterpriseID: "E1", Password: "a long enough password"},
	} {
		if err := svc.AddAccount(ctx, a); err != nil {
			b.Fatal(err)
		}
		if tokens[a.Name], _, err = svc.IssueToken(ctx, a.Name, "bench", time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	open, err := api.NewRouter(api.Options{Queries: q})
	if err != nil {
		b.Fatal(err)
	}
	guarded, err := api.NewRouter(api.Options{Queries: q, Auth: svc})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/api/v1/enterprises/E1", "/api/v1/households/H101", "/api/v1/livestreams"} {
		for _, mode := range []struct {
			name   string
			router *gin.Engine
			token  string
		}{{"off", open, ""}, {"staff", guarded, tokens["staff"]}, {"enterprise", guarded, tokens["e1"]}} {
			b.Run(path[len("/api/v1/"):]+"/auth="+mode.name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					req := httptest.NewRequest("GET", path, nil)
					if mode.token != "" {
						req.Header.Set("Authorization", "Bearer "+mode.token)
					}
					rec := httptest.NewRecorder()
					start := time.Now()
					mode.router.ServeHTTP(rec, req)
					lat = append(lat, time.Since(start))
					if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound {
						b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
					}
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
			})
		}
	}
}
