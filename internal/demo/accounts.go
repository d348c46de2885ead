package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/auth"
)

// demoAccount is one account the demo creates, with its secrets, printed
// so people and scripts can use it at once.
type demoAccount struct {
	auth.NewAccount
	Token string
}

// demoEnterprise is the enterprise the demo's enterprise account is bound to.
const demoEnterprise = "E-QINGXI"

// createAccounts creates one account per role (the enterprise one bound to
// demoEnterprise, the village one to its first paired village), each with
// a generated password and an API token valid for 30 days. With --keep a
// second run finds them: their passwords are reset and new tokens issued.
func createAccounts(ctx context.Context, dataDir string, reg *domain.RegistryFile) ([]demoAccount, error) {
	village := ""
	for _, e := range reg.Enterprises {
		if e.ID == demoEnterprise && len(e.PairedVillages) > 0 {
			village = e.PairedVillages[0]
		}
	}
	if village == "" {
		return nil, fmt.Errorf("demo registry: enterprise %s has no paired village", demoEnterprise)
	}
	svc, err := auth.Open(ctx, auth.Config{DataDir: dataDir})
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	accounts := []demoAccount{
		{NewAccount: auth.NewAccount{Name: "admin", Role: auth.RoleDistrictAdmin}},
		{NewAccount: auth.NewAccount{Name: "staff", Role: auth.RoleDistrictStaff}},
		{NewAccount: auth.NewAccount{Name: "qingxi", Role: auth.RoleEnterprise, EnterpriseID: demoEnterprise}},
		{NewAccount: auth.NewAccount{Name: "village", Role: auth.RoleVillage, VillageID: village}},
		{NewAccount: auth.NewAccount{Name: "auditor", Role: auth.RoleAuditor}},
	}
	existing := map[string]bool{}
	list, err := svc.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		existing[a.Name] = true
	}
	for i := range accounts {
		a := &accounts[i]
		a.Password = auth.GeneratePassword()
		if existing[a.Name] {
			err = svc.SetPassword(ctx, a.Name, a.Password)
		} else {
			err = svc.AddAccount(ctx, a.NewAccount)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("demo account %s", a.Name), err)
		}
		if a.Token, _, err = svc.IssueToken(ctx, a.Name, "demo", 30*24*time.Hour); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}

// printAccounts prints one line per account: role, user name, password
// and the header that carries its token.
func printAccounts(w io.Writer, accounts []demoAccount, baseURL string) {
	fmt.Fprintf(w, "\nAccounts (sign in at POST %s/api/v1/session, or send the header):\n", baseURL)
	for _, a := range accounts {
		role := string(a.Role)
		switch {
		case a.EnterpriseID != "":
			role += ":" + a.EnterpriseID
		case a.VillageID != "":
			role += ":" + a.VillageID
		}
		fmt.Fprintf(w, "  role %-24s user %-8s password %s  Authorization: Bearer %s\n", role, a.Name, a.Password, a.Token)
	}
	if len(accounts) > 0 {
		fmt.Fprintf(w, "e.g. curl -H 'Authorization: Bearer %s' %s/api/v1/overview\n", accounts[0].Token, baseURL)
	}
}
