package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strings"
)

//go:embed openapidocs.html
var docsTemplate string

// renderDocs renders an OpenAPI document as one HTML page: operations
// grouped by tag (in the document's tag order), with their parameters,
// request and response schemas and code samples, then every schema.
func renderDocs(doc []byte) ([]byte, error) {
	root, err := parseNode(doc)
	if err != nil {
		return nil, fmt.Errorf("parse openapi document: %w", err)
	}
	tmpl, err := template.New("docs").Parse(docsTemplate)
	if err != nil {
		return nil, fmt.Errorf("parse docs template: %w", err)
	}
	d := docsBuilder{root: root}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, d.page()); err != nil {
		return nil, fmt.Errorf("render docs: %w", err)
	}
	return buf.Bytes(), nil
}

// node is a JSON value that keeps the order of object keys, so that the
// page shows fields in the order the document lists them.
type node struct {
	keys  []string
	vals  map[string]*node
	items []*node
	value any // string, json.Number, bool, nil for null; unused for objects and arrays
	kind  byte
}

const (
	kindObject = 'o'
	kindArray  = 'a'
	kindScalar = 's'
)

func parseNode(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := decodeNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the document")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		n := &node{kind: kindObject, vals: map[string]*node{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeNode(dec)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals[k] = v
		}
		_, err := dec.Token()
		return n, err
	case json.Delim('['):
		n := &node{kind: kindArray}
		for dec.More() {
			v, err := decodeNode(dec)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		_, err := dec.Token()
		return n, err
	}
	return &node{kind: kindScalar, value: tok}, nil
}

// get walks keys from n; nil when any is missing.
func (n *node) get(keys ...string) *node {
	for _, k := range keys {
		if n == nil || n.kind != kindObject {
			return nil
		}
		n = n.vals[k]
	}
	return n
}

// str returns the string at keys, or "".
func (n *node) str(keys ...string) string {
	v := n.get(keys...)
	if v == nil || v.kind != kindScalar {
		return ""
	}
	s, _ := v.value.(string)
	return s
}

func (n *node) truthy(key string) bool {
	v := n.get(key)
	b, _ := v.scalar().(bool)
	return b
}

func (n *node) scalar() any {
	if n == nil || n.kind != kindScalar {
		return nil
	}
	return n.value
}

// strings returns the strings of an array node.
func (n *node) strings() []string {
	if n == nil {
		return nil
	}
	var out []string
	for _, it := range n.items {
		if s, ok := it.value.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// compact renders n as one line of JSON.
func (n *node) compact() string {
	var b strings.Builder
	n.write(&b, "", "")
	return b.String()
}

// pretty renders n as indented JSON.
func (n *node) pretty() string {
	var b strings.Builder
	n.write(&b, "\n", "  ")
	return b.String()
}

func (n *node) write(b *strings.Builder, nl, indent string) {
	n.writeAt(b, nl, indent, nl)
}

func (n *node) writeAt(b *strings.Builder, nl, indent, cur string) {
	inner := cur + indent
	sep := ","
	colon := ":"
	if indent != "" {
		colon = ": "
	}
	switch n.kind {
	case kindObject:
		if len(n.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{")
		for i, k := range n.keys {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(inner)
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteString(colon)
			n.vals[k].writeAt(b, nl, indent, inner)
		}
		b.WriteString(cur + "}")
	case kindArray:
		if len(n.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, it := range n.items {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(inner)
			it.writeAt(b, nl, indent, inner)
		}
		b.WriteString(cur + "]")
	default:
		vb, _ := json.Marshal(n.value)
		b.Write(vb)
	}
}

var (
	mdCode   = regexp.MustCompile("`([^`]+)`")
	mdStrong = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// markdown renders the little Markdown that the document's descriptions
// use: paragraphs, `code` and **strong**. The text is escaped first.
func markdown(s string) template.HTML {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		p := html.EscapeString(strings.TrimSpace(para))
		p = mdCode.ReplaceAllString(p, "<code>$1</code>")
		p = mdStrong.ReplaceAllString(p, "<strong>$1</strong>")
		p = strings.ReplaceAll(p, "\n", "<br>")
		b.WriteString("<p>" + p + "</p>")
	}
	return template.HTML(b.String()) // built from escaped text
}

// inline is markdown without the paragraph, for table cells.
func inline(s string) template.HTML {
	h := string(markdown(s))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "<p>"), "</p>")
	return template.HTML(strings.ReplaceAll(h, "</p><p>", "<br>")) // built from escaped text
}

var methodOrder = []string{"get", "head", "post", "put", "patch", "delete", "options", "trace"}

// anchor makes an HTML id from a name.
func anchor(prefix, name string) string {
	return prefix + "-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
}

// refName returns the component name of a local $ref such as
// "#/components/schemas/Call", and its kind ("schemas").
func refName(ref string) (kind, name string) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", ref
	}
	kind, name, _ = strings.Cut(rest, "/")
	return kind, name
}

// resolve follows a local $ref to its component; n itself otherwise.
func (d *docsBuilder) resolve(n *node) *node {
	for i := 0; i < 8 && n != nil; i++ {
		ref := n.str("$ref")
		if ref == "" {
			return n
		}
		kind, name := refName(ref)
		n = d.root.get("components", kind, name)
	}
	return n
}

func sortedMethods(item *node) []string {
	var out []string
	for _, m := range methodOrder {
		if item.get(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

func containsString(list []string, s string) bool { return slices.Contains(list, s) }
