package gateway

// AuditKinds lists every event kind so filters can refuse an unknown kind by listing the
// known ones. A new Kind constant goes here too (TestAuditKindsListsEveryKind checks).
var AuditKinds = []string{
	KindAccessEndpoint, KindCreateEndpoint, KindUpdateEndpoint, KindDeleteEndpoint,
	KindUpdateEndpointPerms, KindCreateUser, KindDeactivateUser, KindReactivateUser, KindCreateAPIKey, KindRevokeAPIKey,
	KindCreateOrganization, KindAddOrganizationMember, KindRemoveOrganizationMember,
	KindSetUserAdmin, KindRenameOrganization, KindDeleteOrganization, KindChangeOrganizationMemberRole,
	KindRotateMasterKey, KindDeniedAdminAction, KindSignIn, KindSignOut,
	KindCreateBudget, KindUpdateBudget, KindDeleteBudget, KindBudgetAlert, KindBudgetAlertUndelivered,
	KindCreateSCIMToken, KindRevokeSCIMToken, KindUpdateUser,
}

// AccessOutcomes lists every value of an access event's metadata.outcome.
var AccessOutcomes = []string{
	OutcomeSuccess, OutcomeDenied, OutcomeRateLimited, OutcomeBadRequest,
	OutcomeUpstreamError, OutcomeTimeout, OutcomeClientCancelled, OutcomeOverBudget,
}
