// Package demo is `loquat demo`: a fictional district with its villages,
// households, enterprises and listings, and a simulated Douyin livestream day
// pushed through the real, signed /ingest/douyin endpoint. Every name here is
// invented; no real person, household or company is described.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// Sizes of the demo district.
const (
	householdsPerVillage = 30
	monitoringLineFen    = 700000 // 7,000 yuan per person per year
)

var towns = []struct {
	name     string
	villages []string
}{
	{"青溪镇", []string{"上坪村", "枇杷岭村", "溪头村"}},
	{"白沙镇", []string{"龙眼洋村", "沙埕村", "后垄村"}},
	{"云岭乡", []string{"菇山村", "雾峰村", "竹坑村"}},
	{"兰谷街道", []string{"花溪村", "兰田村", "石门村"}},
}

// demoSKU is one Douyin product of the demo shop and who it belongs to.
type demoSKU struct {
	douyinsim.SKU
	enterprise string
	village    int // index into the villages, in town order
	households int // how many of the village's households share it
	hbp, vbp   int64
}

var enterprises = []domain.Enterprise{
	{ID: "E-QINGXI", Name: "青溪助农电商有限公司", PartyBranch: "青溪助农电商有限公司党支部"},
	{ID: "E-BAISHA", Name: "白沙果业专业合作社", PartyBranch: "白沙果业专业合作社党支部"},
	{ID: "E-YUNLING", Name: "云岭菌菇农业发展有限公司", PartyBranch: "云岭菌菇农业发展有限公司党支部"},
	{ID: "E-LANGU", Name: "兰谷花卉园艺有限公司", PartyBranch: "兰谷花卉园艺有限公司党支部"},
}

var skus = []demoSKU{
	{douyinsim.SKU{SKUID: "1747203364827180", Name: "枇杷岭白玉枇杷 5斤装 新鲜现摘", Product: "loquat", PriceFen: 8990}, "E-QINGXI", 1, 20, 6500, 500},
	{douyinsim.SKU{SKUID: "1747203364827181", Name: "上坪早钟枇杷 3斤礼盒", Product: "loquat", PriceFen: 5990}, "E-QINGXI", 0, 18, 6000, 800},
	{douyinsim.SKU{SKUID: "1747203364827182", Name: "溪头枇杷膏 2瓶装", Product: "loquat", PriceFen: 6800}, "E-QINGXI", 2, 12, 4500, 1000},
	{douyinsim.SKU{SKUID: "1747203364827190", Name: "龙眼洋桂圆 5斤装", Product: "longan", PriceFen: 7990}, "E-BAISHA", 3, 22, 6000, 700},
	{douyinsim.SKU{SKUID: "1747203364827191", Name: "沙埕龙眼干 1斤", Product: "longan", PriceFen: 3990}, "E-BAISHA", 4, 15, 5500, 1000},
	{douyinsim.SKU{SKUID: "1747203364827200", Name: "菇山椴木香菇 500g", Product: "shiitake", PriceFen: 4580}, "E-YUNLING", 6, 25, 5500, 1500},
	{douyinsim.SKU{SKUID: "1747203364827201", Name: "雾峰花菇 礼盒 750g", Product: "shiitake", PriceFen: 12800}, "E-YUNLING", 7, 16, 5000, 1500},
	{douyinsim.SKU{SKUID: "1747203364827210", Name: "花溪蝴蝶兰 两株装", Product: "flowers", PriceFen: 8900}, "E-LANGU", 9, 14, 4000, 1000},
	{douyinsim.SKU{SKUID: "1747203364827211", Name: "兰田建兰 盆栽", Product: "flowers", PriceFen: 15800}, "E-LANGU", 10, 10, 4000, 1200},
	// Not in the registry: its sales show as unattributed until a listing
	// covers it and the read model is rebuilt.
	{douyinsim.SKU{SKUID: "1747203364827299", Name: "青溪土蜂蜜 500g（待登记）", Product: "honey", PriceFen: 6900}, "", -1, 0, 0, 0},
}

// otherListing is a product the district sells on JD, Kuaishou or the 832
// platform (shelf sales, a distributor's live room, procurement exports).
type otherListing struct {
	platform, skuID, name, product, enterprise string
	village, households                        int
	hbp, vbp                                   int64
	priceFen                                   domain.Fen
}

var otherListings = []otherListing{
	{"jd", "100012043978", "枇杷岭白玉枇杷 3斤礼盒", "loquat", "E-QINGXI", 1, 12, 6000, 500, 5990},
	{"jd", "100012043979", "龙眼洋桂圆 5斤装", "longan", "E-BAISHA", 3, 15, 6000, 700, 7990},
	{"jd", "100012043990", "菇山椴木香菇 500g", "shiitake", "E-YUNLING", 6, 14, 5500, 1500, 3980},
	{"kuaishou", "2168351009120", "菇山扶贫香菇 500g", "shiitake", "E-YUNLING", 6, 18, 5500, 1500, 3980},
	{"kuaishou", "2168351009121", "上坪枇杷 5斤装", "loquat", "E-QINGXI", 0, 16, 6500, 500, 8990},
	{"kuaishou", "2168351009133", "沙埕龙眼干 1kg", "longan", "E-BAISHA", 4, 12, 5500, 1000, 6633},
	{domain.Platform832, "832-FLW-0107", "花溪蝴蝶兰 两株装", "flowers", "E-LANGU", 9, 10, 4000, 1000, 8900},
	{domain.Platform832, "832-XG-0203", "雾峰花菇 礼盒 750g", "shiitake", "E-YUNLING", 7, 10, 5000, 1500, 12800},
}

// JDCatalogue is what the demo shop sells on JD.
func JDCatalogue() []jdsim.SKU {
	var out []jdsim.SKU
	for _, l := range otherListings {
		if l.platform == "jd" {
			out = append(out, jdsim.SKU{SKUID: l.skuID, Name: l.name, PriceFen: l.priceFen})
		}
	}
	return out
}

// KuaishouCatalogue is what the demo shop sells on Kuaishou.
func KuaishouCatalogue() []kuaishousim.SKU {
	var out []kuaishousim.SKU
	for i, l := range otherListings {
		if l.platform == "kuaishou" {
			id, _ := strconv.ParseInt(l.skuID, 10, 64)
			out = append(out, kuaishousim.SKU{SkuID: id, ItemID: 3101934400 + int64(i), Nick: l.product, Title: l.name, PriceFen: int64(l.priceFen)})
		}
	}
	return out
}

// Catalogue is what the demo shop sells on Douyin.
func Catalogue() []douyinsim.SKU {
	out := make([]douyinsim.SKU, len(skus))
	for i, s := range skus {
		out[i] = s.SKU
	}
	return out
}

// Registry builds the demo district: 4 towns, 12 villages, 360 households,
// 4 enterprises and listings for loquat, longan, shiitake and flowers, one of
// whose shares change during the livestream day.
func Registry(day string) (*domain.RegistryFile, error) {
	r := rand.New(rand.NewPCG(2020, 430))
	f := &domain.RegistryFile{District: domain.District{ID: "DEMO-350399", Name: "青溪示范区（虚构）", MonitoringLineFen: monitoringLineFen}}
	var villageIDs []string
	households := map[string][]string{}
	n := 0
	for ti, t := range towns {
		for vi, name := range t.villages {
			id := fmt.Sprintf("V-%02d%02d", ti+1, vi+1)
			villageIDs = append(villageIDs, id)
			f.Villages = append(f.Villages, domain.Village{ID: id, Name: name, Town: t.name})
			for h := 0; h < householdsPerVillage; h++ {
				n++
				hid := fmt.Sprintf("H-%05d", n)
				members := int64(1 + r.IntN(6))
				perCapita := domain.Fen(450000 + r.IntN(700000)) // 4,500–11,500 yuan a person
				category := "脱贫户"
				if r.IntN(5) == 0 {
					category = "监测户"
				}
				f.Households = append(f.Households, domain.Household{ID: hid, VillageID: id, Members: members,
					BaselineIncomeFen: perCapita * domain.Fen(members), Category: category})
				households[id] = append(households[id], hid)
			}
		}
	}
	for _, e := range enterprises {
		e.PairedVillages = nil
		f.Enterprises = append(f.Enterprises, e)
	}
	start, err := domain.ParseDay(day)
	if err != nil {
		return nil, err
	}
	from := start.AddDate(0, -1, 0)
	for _, s := range skus {
		if s.enterprise == "" {
			continue
		}
		vid := villageIDs[s.village]
		for i := range f.Enterprises {
			if f.Enterprises[i].ID == s.enterprise && !contains(f.Enterprises[i].PairedVillages, vid) {
				f.Enterprises[i].PairedVillages = append(f.Enterprises[i].PairedVillages, vid)
			}
		}
		l := domain.Listing{Platform: "douyin", SKUID: s.SKUID, Product: s.Product, Name: s.Name, EnterpriseID: s.enterprise,
			VillageID: vid, EffectiveFrom: from, HouseholdsBP: s.hbp, VillageCollectiveBP: s.vbp}
		for _, hid := range households[vid][:s.households] {
			l.Households = append(l.Households, domain.HouseholdWeight{ID: hid, Weight: int64(1 + r.IntN(3))})
		}
		f.Listings = append(f.Listings, l)
		if s.SKUID == skus[0].SKUID {
			// The party branch raised the households' share from 21:00 on.
			later := l
			later.EffectiveFrom = start.Add(21 * time.Hour)
			later.HouseholdsBP, later.VillageCollectiveBP = 7000, 500
			f.Listings = append(f.Listings, later)
		}
	}
	for _, o := range otherListings {
		vid := villageIDs[o.village]
		l := domain.Listing{Platform: o.platform, SKUID: o.skuID, Product: o.product, Name: o.name, EnterpriseID: o.enterprise,
			VillageID: vid, EffectiveFrom: from, HouseholdsBP: o.hbp, VillageCollectiveBP: o.vbp}
		for _, hid := range households[vid][len(households[vid])-o.households:] {
			l.Households = append(l.Households, domain.HouseholdWeight{ID: hid, Weight: int64(1 + r.IntN(3))})
		}
		f.Listings = append(f.Listings, l)
	}
	return f, f.Validate()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
