package httpapi

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// The views the docs template renders.
type (
	docsPage struct {
		Title, Version, Summary string
		Description             template.HTML
		Security                []docsSecurity
		Tags                    []docsTag
		Schemas                 []docsSchema
	}
	docsSecurity struct {
		Name, Kind  string
		Description template.HTML
		Scopes      []docsParam
	}
	docsTag struct {
		Name, Anchor string
		Description  template.HTML
		Ops          []docsOp
	}
	docsOp struct {
		ID, Anchor, Method, Path, Summary string
		Description                       template.HTML
		Auth                              template.HTML
		Params                            []docsParam
		Body                              *docsBody
		Responses                         []docsResponse
		Samples                           []docsSample
	}
	docsParam struct {
		Name, In    string
		Required    bool
		Type        template.HTML
		Description template.HTML
	}
	docsBody struct {
		Required    bool
		Description template.HTML
		Contents    []docsContent
	}
	docsContent struct {
		MediaType string
		Type      template.HTML
		Fields    []docsField
		Example   string
	}
	docsResponse struct {
		Status      string
		Class       string
		Description template.HTML
		Headers     []docsParam
		Contents    []docsContent
	}
	docsSample struct{ Label, Source string }
	docsSchema struct {
		Name, Anchor string
		Type         template.HTML
		Description  template.HTML
		Fields       []docsField
	}
	docsField struct {
		Name        string
		Required    bool
		Type        template.HTML
		Description template.HTML
		Fields      []docsField
	}
)

type docsBuilder struct{ root *node }

func (d *docsBuilder) page() docsPage {
	r := d.root
	p := docsPage{
		Title: r.str("info", "title"), Version: r.str("info", "version"), Summary: r.str("info", "summary"),
		Description: markdown(r.str("info", "description")),
	}
	schemes := r.get("components", "securitySchemes")
	if schemes != nil {
		for _, name := range schemes.keys {
			s := schemes.vals[name]
			sec := docsSecurity{Name: name, Kind: s.str("type"), Description: markdown(s.str("description"))}
			switch sec.Kind {
			case "apiKey":
				sec.Kind = "API key in " + s.str("in") + " " + s.str("name")
			case "http":
				sec.Kind = "HTTP " + s.str("scheme")
			case "oauth2":
				if cc := s.get("flows", "clientCredentials"); cc != nil {
					sec.Kind = "OAuth 2.0 client credentials, token URL " + cc.str("tokenUrl")
					if sc := cc.get("scopes"); sc != nil {
						for _, k := range sc.keys {
							sec.Scopes = append(sec.Scopes, docsParam{Name: k, Description: inline(sc.str(k))})
						}
					}
				}
			}
			p.Security = append(p.Security, sec)
		}
	}
	byTag := map[string]*docsTag{}
	var order []string
	addTag := func(name, desc string) *docsTag {
		if t := byTag[name]; t != nil {
			return t
		}
		byTag[name] = &docsTag{Name: name, Anchor: anchor("tag", name), Description: markdown(desc)}
		order = append(order, name)
		return byTag[name]
	}
	if tags := r.get("tags"); tags != nil {
		for _, t := range tags.items {
			addTag(t.str("name"), t.str("description"))
		}
	}
	if paths := r.get("paths"); paths != nil {
		for _, path := range paths.keys {
			item := paths.vals[path]
			for _, m := range sortedMethods(item) {
				op := d.operation(path, m, item)
				tag := "other"
				if tags := item.get(m, "tags"); tags != nil && len(tags.items) > 0 {
					tag = tags.strings()[0]
				}
				t := addTag(tag, "")
				t.Ops = append(t.Ops, op)
			}
		}
	}
	for _, name := range order {
		if len(byTag[name].Ops) > 0 {
			p.Tags = append(p.Tags, *byTag[name])
		}
	}
	if schemas := r.get("components", "schemas"); schemas != nil {
		for _, name := range schemas.keys {
			s := schemas.vals[name]
			p.Schemas = append(p.Schemas, docsSchema{Name: name, Anchor: anchor("schema", name),
				Type: d.typeOf(s), Description: markdown(s.str("description")), Fields: d.fields(s, 0)})
		}
	}
	return p
}

func (d *docsBuilder) operation(path, method string, item *node) docsOp {
	n := item.get(method)
	op := docsOp{
		ID: n.str("operationId"), Method: strings.ToUpper(method), Path: path, Summary: n.str("summary"),
		Description: markdown(n.str("description")), Auth: d.auth(n),
	}
	op.Anchor = anchor("op", op.ID)
	for _, list := range []*node{item.get("parameters"), n.get("parameters")} {
		if list == nil {
			continue
		}
		for _, pr := range list.items {
			pr = d.resolve(pr)
			op.Params = append(op.Params, docsParam{Name: pr.str("name"), In: pr.str("in"), Required: pr.truthy("required"),
				Type: d.typeOf(pr.get("schema")), Description: inline(pr.str("description"))})
		}
	}
	if rb := d.resolve(n.get("requestBody")); rb != nil {
		op.Body = &docsBody{Required: rb.truthy("required"), Description: markdown(rb.str("description")),
			Contents: d.contents(rb.get("content"), true)}
	}
	if rs := n.get("responses"); rs != nil {
		for _, status := range rs.keys {
			resp := d.resolve(rs.vals[status])
			dr := docsResponse{Status: status, Class: "s" + status[:1], Description: markdown(resp.str("description")),
				Contents: d.contents(resp.get("content"), false)}
			if hs := resp.get("headers"); hs != nil {
				for _, name := range hs.keys {
					if hs.vals[name].str("$ref") == "#/components/headers/X-Request-Id" {
						continue // on every answer; the introduction says so once
					}
					h := d.resolve(hs.vals[name])
					dr.Headers = append(dr.Headers, docsParam{Name: name, Required: h.truthy("required"),
						Type: d.typeOf(h.get("schema")), Description: inline(h.str("description"))})
				}
			}
			op.Responses = append(op.Responses, dr)
		}
	}
	if cs := n.get("x-codeSamples"); cs != nil {
		for _, s := range cs.items {
			op.Samples = append(op.Samples, docsSample{Label: s.str("label"), Source: s.str("source")})
		}
	}
	return op
}

// auth describes an operation's security requirements in a sentence.
func (d *docsBuilder) auth(op *node) template.HTML {
	sec := op.get("security")
	if sec == nil {
		sec = d.root.get("security")
	}
	if sec == nil || len(sec.items) == 0 {
		return "No authentication."
	}
	var alts []string
	optional := false
	for _, req := range sec.items {
		if len(req.keys) == 0 {
			optional = true
			continue
		}
		for _, name := range req.keys {
			scheme := d.root.get("components", "securitySchemes", name)
			label := html.EscapeString(name)
			switch scheme.str("type") {
			case "apiKey":
				label = "<code>" + html.EscapeString(scheme.str("name")) + "</code> header"
			case "oauth2":
				label = "OAuth bearer token"
			case "http":
				label = "HTTP " + html.EscapeString(scheme.str("scheme"))
			}
			if scopes := req.vals[name].strings(); len(scopes) > 0 {
				label += " with scope <code>" + html.EscapeString(strings.Join(scopes, " ")) + "</code>"
			}
			alts = append(alts, label)
		}
	}
	s := strings.Join(alts, ", or ")
	if optional {
		s += " (optional)"
	}
	return template.HTML(s + ".") // built from escaped text
}

func (d *docsBuilder) contents(c *node, expand bool) []docsContent {
	if c == nil {
		return nil
	}
	var out []docsContent
	for _, mt := range c.keys {
		m := c.vals[mt]
		dc := docsContent{MediaType: mt, Type: "binary"}
		if s := m.get("schema"); s != nil {
			dc.Type = d.typeOf(s)
			target := s
			if expand {
				target = d.resolve(s)
			}
			dc.Fields = d.fields(target, 0)
		}
		if ex := m.get("example"); ex != nil {
			dc.Example = ex.pretty()
		}
		// Media types that show the same thing (audio/wav, audio/mpeg...)
		// share one line.
		if last := len(out) - 1; last >= 0 && out[last].Type == dc.Type && out[last].Fields == nil &&
			dc.Fields == nil && out[last].Example == "" && dc.Example == "" {
			out[last].MediaType += ", " + mt
			continue
		}
		out = append(out, dc)
	}
	return out
}

// fields lists the properties of an inline object schema, nesting inline
// objects (not referenced ones, which link to their own section).
func (d *docsBuilder) fields(s *node, depth int) []docsField {
	props := s.get("properties")
	if props == nil || depth > 4 || s.str("$ref") != "" {
		return nil
	}
	required := s.get("required").strings()
	var out []docsField
	for _, name := range props.keys {
		p := props.vals[name]
		out = append(out, docsField{Name: name, Required: containsString(required, name), Type: d.typeOf(p),
			Description: inline(p.str("description")), Fields: d.fields(p, depth+1)})
	}
	return out
}

// typeOf renders a schema's type in one line: referenced schemas link to
// their section; constraints follow in brackets.
func (d *docsBuilder) typeOf(s *node) template.HTML {
	if s == nil {
		return "any"
	}
	t := d.typeName(s)
	if c := constraints(s); len(c) > 0 {
		t += ` <span class="c">` + html.EscapeString(strings.Join(c, "; ")) + "</span>"
	}
	return template.HTML(t) // built from escaped text
}

func (d *docsBuilder) typeName(s *node) string {
	if ref := s.str("$ref"); ref != "" {
		_, name := refName(ref)
		return fmt.Sprintf(`<a href="#%s">%s</a>`, anchor("schema", name), html.EscapeString(name))
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts := s.get(k); alts != nil {
			parts := make([]string, len(alts.items))
			for i, a := range alts.items {
				parts[i] = d.typeName(a)
			}
			return strings.Join(parts, " | ")
		}
	}
	var types []string
	if t := s.get("type"); t != nil {
		if t.kind == kindArray {
			types = t.strings()
		} else if v, ok := t.value.(string); ok {
			types = []string{v}
		}
	}
	for i, t := range types {
		switch {
		case t == "array" && s.get("items") != nil:
			types[i] = "array of " + d.typeName(s.get("items"))
		case t == "object" && s.get("additionalProperties") != nil && s.get("additionalProperties").kind == kindObject:
			types[i] = "map of " + d.typeName(s.get("additionalProperties"))
		default:
			types[i] = html.EscapeString(t)
		}
	}
	if len(types) == 0 {
		if c := s.get("const"); c != nil {
			return "constant"
		}
		return "any"
	}
	return strings.Join(types, " | ")
}

// constraints lists a schema's validation keywords in words, including
// those next to a $ref (such as a problem's fixed status).
func constraints(s *node) []string {
	var out []string
	if c := s.get("const"); c != nil {
		out = append(out, "= "+c.compact())
	}
	if e := s.get("enum"); e != nil {
		vals := make([]string, len(e.items))
		for i, v := range e.items {
			vals[i] = v.compact()
		}
		out = append(out, "one of "+strings.Join(vals, ", "))
	}
	for _, k := range []struct{ key, label string }{
		{"format", "format "}, {"contentMediaType", "content "}, {"minLength", "min length "}, {"maxLength", "max length "},
		{"minimum", "≥ "}, {"maximum", "≤ "}, {"exclusiveMinimum", "> "}, {"minItems", "min items "},
		{"maxItems", "max items "}, {"maxProperties", "max properties "}, {"pattern", "pattern "}, {"default", "default "},
	} {
		if v := s.get(k.key); v != nil {
			out = append(out, k.label+strings.Trim(v.compact(), `"`))
		}
	}
	if ex := s.get("examples"); ex != nil && len(ex.items) > 0 {
		out = append(out, "e.g. "+ex.items[0].compact())
	}
	if s.str("$ref") != "" {
		if props := s.get("properties"); props != nil {
			for _, k := range props.keys {
				for _, c := range constraints(props.vals[k]) {
					out = append(out, k+" "+c)
				}
			}
		}
		if req := s.get("required").strings(); len(req) > 0 {
			out = append(out, "requires "+strings.Join(req, ", "))
		}
	}
	return out
}
