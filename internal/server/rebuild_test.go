package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// TestUnattributedUntilRebuild loads the samples with the Kuaishou listing
// missing: its line counts in GMV as unattributed and is reported. Loading
// the listing later leaves it so (attribution is fixed when a payment is
// projected); a rebuild attributes it, and every figure is then the samples'.
func TestUnattributedUntilRebuild(t *testing.T) {
	dir := t.TempDir()
	var full domain.RegistryFile
	if err := json.Unmarshal(samples.File("registry.json"), &full); err != nil {
		t.Fatal(err)
	}
	partial := full
	partial.Listings = nil
	var missing domain.Listing
	for _, l := range full.Listings {
		if l.Platform == "kuaishou" {
			missing = l
		} else {
			partial.Listings = append(partial.Listings, l)
		}
	}

	ctx := context.Background()
	run := func(opts nodeOptions, check func(node *server.Node)) {
		node, stop := startStoppableNode(t, dir, opts)
		check(node)
		stop()
	}
	run(nodeOptions{pollers: true, registry: &partial}, func(node *server.Node) {
		if err := samples.LoadAllButRegistry(ctx, node.URL(), node.Writer()); err != nil {
			t.Fatal(err)
		}
		caughtUp(t, node)
		var ov projections.Overview
		samples.GetJSON(t, node.URL(), "/api/v1/overview", &ov)
		if ov.GMVFen != samples.WantGMV || ov.UnattributedFen != 7960 {
			t.Fatalf("without the Kuaishou listing: %s, unattributed %d fen; want GMV %d, 7960 unattributed", samples.Describe(ov), ov.UnattributedFen, samples.WantGMV)
		}
		var un projections.Page[projections.UnattributedItem]
		samples.GetJSON(t, node.URL(), "/api/v1/unattributed", &un)
		if un.Total != 1 || un.Items[0].SKUID != "2168351009120" || un.Items[0].Lines != 1 || un.Items[0].NetFen != 7960 {
			t.Fatalf("unattributed report: %+v", un)
		}
		if err := node.Writer().Append(ctx, &domain.ListingPublished{Listing: missing}); err != nil {
			t.Fatal(err)
		}
		caughtUp(t, node)
		samples.GetJSON(t, node.URL(), "/api/v1/overview", &ov)
		if ov.UnattributedFen != 7960 {
			t.Fatalf("a listing loaded later re-attributed a projected line before any rebuild: unattributed %d", ov.UnattributedFen)
		}
	})
	if _, err := server.Rebuild(ctx, dir, logConfig(), server.StoreConfig{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	run(nodeOptions{}, func(node *server.Node) {
		caughtUp(t, node)
		samples.CheckAPI(t, node.URL())
		var un projections.Page[projections.UnattributedItem]
		samples.GetJSON(t, node.URL(), "/api/v1/unattributed", &un)
		if un.Total != 0 {
			t.Fatalf("after the rebuild still unattributed: %+v", un)
		}
	})
}
