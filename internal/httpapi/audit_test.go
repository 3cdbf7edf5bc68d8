package httpapi

import "testing"

// TestParseAuditRoute: every route names the resource it acts on; a
// campaign's pull sources are pull sources (the campaign goes to the
// detail), its Genesys rule is named by the campaign's id, and the Genesys
// paths name a connection or rules, not a "genesy".
func TestParseAuditRoute(t *testing.T) {
	t.Parallel()
	for pattern, want := range map[string]auditRoute{
		"GET /v1/calls/{id}":                           {param: "id", targetType: "call"},
		"GET /v1/calls/{id}/audio":                     {param: "id", targetType: "call"},
		"POST /calls/audio":                            {targetType: "call"},
		"GET /v1/api-keys":                             {targetType: "api_key"},
		"POST /v1/erasures":                            {targetType: "erasure"},
		"GET /v1/erasures/{id}":                        {param: "id", targetType: "erasure"},
		"PATCH /v1/sftp-accounts/{id}":                 {param: "id", targetType: "sftp_account"},
		"POST /v1/campaigns/{id}/pull-sources":         {param: "id", targetType: "pull_source", parent: "campaign_id"},
		"GET /v1/pull-sources":                         {targetType: "pull_source"},
		"POST /v1/pull-sources/{id}/run":               {param: "id", targetType: "pull_source"},
		"GET /v1/pull-sources/{id}/runs":               {param: "id", targetType: "pull_source"},
		"PUT /v1/genesys/connection":                   {targetType: "genesys_connection"},
		"POST /v1/genesys/connection/test":             {targetType: "genesys_connection"},
		"GET /v1/genesys/rules":                        {targetType: "genesys_rule"},
		"PUT /v1/campaigns/{id}/genesys-rule":          {param: "id", targetType: "genesys_rule"},
		"POST /v1/campaigns/{id}/genesys-rule/preview": {param: "id", targetType: "genesys_rule"},
		"GET /v1/openapi.json":                         {},
		"PATCH /v1/uploads/{id}":                       {targetType: "upload", upload: true},
	} {
		got := parseAuditRoute(pattern)
		got.path = ""
		if got != want {
			t.Errorf("parseAuditRoute(%q) = %+v, want %+v", pattern, got, want)
		}
	}
}
