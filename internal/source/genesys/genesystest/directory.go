package genesystest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ids reads a multi-valued id parameter, repeated or comma separated.
func ids(q url.Values) []string {
	var out []string
	for _, v := range q["id"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// listing writes an entity listing page of entities.
func listing(w http.ResponseWriter, r *http.Request, path string, entities []map[string]any) {
	q := r.URL.Query()
	size, page := 25, 1
	if v := q.Get("pageSize"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	if v := q.Get("pageNumber"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if size < 1 || size > 500 || page < 1 {
		apiError(w, r, http.StatusBadRequest, "bad.request", "pageSize must be 1 to 500 and pageNumber at least 1")
		return
	}
	pages := (len(entities) + size - 1) / size
	lo := min((page-1)*size, len(entities))
	out := map[string]any{"entities": entities[lo:min(lo+size, len(entities))], "pageSize": size, "pageNumber": page,
		"total": len(entities), "pageCount": pages,
		"selfUri":  fmt.Sprintf("%s?pageSize=%d&pageNumber=%d", path, size, page),
		"firstUri": fmt.Sprintf("%s?pageSize=%d&pageNumber=1", path, size),
		"lastUri":  fmt.Sprintf("%s?pageSize=%d&pageNumber=%d", path, size, max(pages, 1))}
	if page < pages {
		out["nextUri"] = fmt.Sprintf("%s?pageSize=%d&pageNumber=%d", path, size, page+1)
	}
	if page > 1 {
		out["previousUri"] = fmt.Sprintf("%s?pageSize=%d&pageNumber=%d", path, size, page-1)
	}
	writeJSON(w, http.StatusOK, out)
}

func userJSON(u User) map[string]any {
	m := map[string]any{"id": u.ID, "name": u.Name, "state": "active", "username": strings.ToLower(strings.ReplaceAll(u.Name, " ", ".")),
		"division": map[string]string{"id": divisionID, "name": "Home"}, "version": 3, "selfUri": "/api/v2/users/" + u.ID}
	if u.Email != "" {
		m["email"] = u.Email
	}
	return m
}

func (s *Server) usersList(w http.ResponseWriter, r *http.Request) {
	want := ids(r.URL.Query())
	if len(want) > 100 {
		apiError(w, r, http.StatusBadRequest, "bad.request", "At most 100 ids may be requested")
		return
	}
	var out []map[string]any
	for _, u := range s.data.Users {
		if len(want) == 0 || contains(want, u.ID) {
			out = append(out, userJSON(u))
		}
	}
	listing(w, r, "/api/v2/users", out)
}

func (s *Server) userGet(w http.ResponseWriter, r *http.Request) {
	u, ok := s.users[r.PathValue("id")]
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	writeJSON(w, http.StatusOK, userJSON(u))
}

func queueJSON(q Queue) map[string]any {
	return map[string]any{"id": q.ID, "name": q.Name, "division": map[string]string{"id": divisionID, "name": "Home"},
		"memberCount": 4, "userMemberCount": 4, "joinedMemberCount": 3, "suppressInQueueCallRecording": false,
		"selfUri": "/api/v2/routing/queues/" + q.ID}
}

func (s *Server) queuesList(w http.ResponseWriter, r *http.Request) {
	want := ids(r.URL.Query())
	name := r.URL.Query().Get("name")
	qs := append([]Queue(nil), s.data.Queues...)
	sort.Slice(qs, func(i, j int) bool { return qs[i].Name < qs[j].Name })
	if r.URL.Query().Get("sortOrder") == "desc" {
		sort.Slice(qs, func(i, j int) bool { return qs[i].Name > qs[j].Name })
	}
	var out []map[string]any
	for _, q := range qs {
		if (len(want) == 0 || contains(want, q.ID)) && nameMatch(name, q.Name) {
			out = append(out, queueJSON(q))
		}
	}
	listing(w, r, "/api/v2/routing/queues", out)
}

// nameMatch applies a name filter with optional leading/trailing '*'.
func nameMatch(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	p, n := strings.ToLower(pattern), strings.ToLower(name)
	switch pre, suf := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*"); {
	case pre && suf && len(p) > 1:
		return strings.Contains(n, p[1:len(p)-1])
	case pre:
		return strings.HasSuffix(n, p[1:])
	case suf:
		return strings.HasPrefix(n, p[:len(p)-1])
	}
	return n == p
}

func (s *Server) queueGet(w http.ResponseWriter, r *http.Request) {
	q, ok := s.queues[r.PathValue("id")]
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	writeJSON(w, http.StatusOK, queueJSON(q))
}

func wrapupJSON(c WrapupCode) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "division": map[string]string{"id": divisionID, "name": "Home"},
		"selfUri": "/api/v2/routing/wrapupcodes/" + c.ID}
}

func (s *Server) wrapupsList(w http.ResponseWriter, r *http.Request) {
	want := ids(r.URL.Query())
	var out []map[string]any
	for _, c := range s.data.WrapupCodes {
		if len(want) == 0 || contains(want, c.ID) {
			out = append(out, wrapupJSON(c))
		}
	}
	listing(w, r, "/api/v2/routing/wrapupcodes", out)
}

func (s *Server) wrapupGet(w http.ResponseWriter, r *http.Request) {
	c, ok := s.wrapups[r.PathValue("id")]
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	writeJSON(w, http.StatusOK, wrapupJSON(c))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
