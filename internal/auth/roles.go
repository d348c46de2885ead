package auth

import (
	"fmt"
	"slices"

	"github.com/loquat-dev/loquat/projections"
)

// Role is what an account may read and do (DESIGN.md, "People, access and
// the console").
type Role string

const (
	// RoleDistrictAdmin reads everything, the dead letters and the access
	// log, and manages accounts.
	RoleDistrictAdmin Role = "district_admin"
	// RoleDistrictStaff reads everything, including the dead letters.
	RoleDistrictStaff Role = "district_staff"
	// RoleEnterprise is bound to one enterprise: its own sales only.
	RoleEnterprise Role = "enterprise"
	// RoleVillage is bound to one village: it and its households in full.
	RoleVillage Role = "village"
	// RoleAuditor reads every figure and the access log, but not the dead
	// letters (their raw bytes may hold buyers' data).
	RoleAuditor Role = "auditor"
)

// Roles lists every role, in the order the README's table gives them.
var Roles = []Role{RoleDistrictAdmin, RoleDistrictStaff, RoleEnterprise, RoleVillage, RoleAuditor}

// ParseRole checks a role's name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("role %q: use one of district_admin, district_staff, enterprise, village, auditor", s)
	}
	return r, nil
}

// Principal is who a request acts for.
type Principal struct {
	Account      string
	Role         Role
	EnterpriseID string // RoleEnterprise only
	VillageID    string // RoleVillage only
	// TokenID names the API token used, empty for a session.
	TokenID string
	// csrf is the session's CSRF token, empty for an API token.
	csrf string
}

// Scope is what the principal's queries may see. An unknown role gets the
// zero Scope, which the queries answer with nothing.
func (p Principal) Scope() projections.Scope {
	switch p.Role {
	case RoleDistrictAdmin, RoleDistrictStaff:
		return projections.Scope{All: true, DeadLetters: true}
	case RoleAuditor:
		return projections.Scope{All: true}
	case RoleEnterprise:
		return projections.Scope{EnterpriseID: p.EnterpriseID}
	case RoleVillage:
		return projections.Scope{VillageID: p.VillageID}
	}
	return projections.Scope{}
}

// ReadsAccessLog reports whether the role may read the access log.
func (r Role) ReadsAccessLog() bool { return r == RoleDistrictAdmin || r == RoleAuditor }

// checkBinding validates the ids a role is bound to.
func checkBinding(r Role, enterpriseID, villageID string) error {
	switch {
	case r == RoleEnterprise && (enterpriseID == "" || villageID != ""):
		return fmt.Errorf("role enterprise is bound to one enterprise: give --enterprise (and no --village)")
	case r == RoleVillage && (villageID == "" || enterpriseID != ""):
		return fmt.Errorf("role village is bound to one village: give --village (and no --enterprise)")
	case r != RoleEnterprise && r != RoleVillage && (enterpriseID != "" || villageID != ""):
		return fmt.Errorf("role %s is not bound to an enterprise or a village: drop --enterprise and --village", r)
	case len(enterpriseID) > maxIDLen || len(villageID) > maxIDLen:
		return fmt.Errorf("enterprise and village ids are at most %d bytes", maxIDLen)
	}
	return nil
}
