package apitest_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/httpapi"
	"github.com/callimport/callimport/internal/httpapi/openapitest"
)

// contract is the OpenAPI document shared by every test of the package, so
// that TestMain can tell, once all ran, which documented operations and
// statuses no test exercised. It is the package's only shared state: set
// before any test starts, read-only but for its synchronised record.
var contract *openapitest.Doc

// validating returns the transport of every test client: each exchange is
// checked against the OpenAPI document, and a mismatch fails t.
func validating(t *testing.T, _ string) http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return contract.Transport(t, tr)
}

// mustCover lists statuses, beyond every documented 2xx, that the suite
// must have seen per operation.
var mustCover = map[string][]int{
	"createCall":        {400, 401, 403, 404, 409, 413, 415, 422},
	"listCalls":         {401, 403, 422},
	"getCall":           {404},
	"getCallAudio":      {304, 404, 416},
	"deleteCall":        {403, 404},
	"createCampaign":    {400, 403, 409, 422},
	"updateCampaign":    {400, 404, 409, 422},
	"getCampaign":       {404},
	"createAPIKey":      {422},
	"revokeAPIKey":      {404},
	"revokeOAuthClient": {404},
	"issueToken":        {400, 401},
	"createErasure":     {400, 401, 403, 404, 422},
	"getErasure":        {401, 403, 404},
}

func TestMain(m *testing.M) {
	d, err := openapitest.Parse(context.Background(), httpapi.OpenAPIDocument())
	if err != nil {
		fmt.Fprintln(os.Stderr, "apitest:", err)
		os.Exit(2)
	}
	contract = d
	code := m.Run()
	if wholeSuite() {
		code = max(code, checkCoverage(d.Coverage()))
	}
	os.Exit(code)
}

// wholeSuite reports whether every test of the package ran (no -run or
// -skip filter), the only case where coverage means something.
func wholeSuite() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// checkCoverage prints the coverage table and returns 1 if an operation,
// a documented 2xx status, or a status of mustCover was never seen.
func checkCoverage(c openapitest.Coverage) int {
	fmt.Printf("apitest: coverage of the OpenAPI document by the API integration tests:\n%s", c)
	var missing []string
	known := map[string]bool{}
	for _, o := range c.Operations {
		known[o.ID] = true
		if !o.Exercised() {
			missing = append(missing, o.ID+" (never called)")
			continue
		}
		for _, s := range o.Statuses {
			n, err := strconv.Atoi(s)
			if err == nil && n >= 200 && n < 300 && o.Seen[n] == 0 {
				missing = append(missing, o.ID+" "+s)
			}
		}
		for _, n := range mustCover[o.ID] {
			if o.Seen[n] == 0 {
				missing = append(missing, o.ID+" "+strconv.Itoa(n))
			}
		}
	}
	for id := range mustCover {
		if !known[id] {
			missing = append(missing, id+" (in mustCover but not documented)")
		}
	}
	if len(missing) == 0 {
		return 0
	}
	slices.Sort(missing)
	fmt.Printf("FAIL: apitest: documented operations or statuses never exercised:\n  %s\n", strings.Join(missing, "\n  "))
	return 1
}
