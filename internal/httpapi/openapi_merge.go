package httpapi

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// The OpenAPI document is written by hand in several files: openapi/base.json
// holds the info, security schemes and the first resources; every other
// openapi/*.json is a fragment with only "tags", "paths" and "components",
// one per resource family, merged in after the base in name order. A name
// defined twice (path, component, tag) is an error, so fragments cannot
// silently override each other.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

// buildOpenAPI merges the files of fsys into one indented JSON document.
func buildOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(names, func(a, b string) int {
		// base.json first, the fragments after it by name.
		return strings.Compare(strings.Replace(a, "/base.json", "/", 1), strings.Replace(b, "/base.json", "/", 1))
	})
	var doc *node
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		n, err := parseNode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if n.kind != kindObject {
			return nil, fmt.Errorf("%s: not a JSON object", name)
		}
		if doc == nil {
			doc = n
			continue
		}
		if err := mergeFragment(doc, n); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if doc == nil {
		return nil, fmt.Errorf("no openapi/*.json file")
	}
	return []byte(doc.pretty() + "\n"), nil
}

func mergeFragment(doc, frag *node) error {
	for _, k := range frag.keys {
		v := frag.vals[k]
		switch k {
		case "tags":
			have := doc.get("tags")
			if have == nil || have.kind != kindArray || v.kind != kindArray {
				return fmt.Errorf("tags must be arrays")
			}
			for _, t := range v.items {
				if slices.ContainsFunc(have.items, func(h *node) bool { return h.str("name") == t.str("name") }) {
					return fmt.Errorf("tag %q defined twice", t.str("name"))
				}
				have.items = append(have.items, t)
			}
		case "paths":
			if err := addKeys(doc.get("paths"), v, "path"); err != nil {
				return err
			}
		case "components":
			comps := doc.get("components")
			for _, section := range v.keys {
				have := comps.get(section)
				if have == nil {
					have = &node{kind: kindObject, vals: map[string]*node{}}
					comps.keys = append(comps.keys, section)
					comps.vals[section] = have
				}
				if err := addKeys(have, v.vals[section], "components."+section); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("a fragment may only hold tags, paths and components, not %q", k)
		}
	}
	return nil
}

func addKeys(dst, src *node, what string) error {
	if dst == nil || dst.kind != kindObject || src.kind != kindObject {
		return fmt.Errorf("%s must be objects", what)
	}
	for _, k := range src.keys {
		if _, dup := dst.vals[k]; dup {
			return fmt.Errorf("%s %q defined twice", what, k)
		}
		dst.keys = append(dst.keys, k)
		dst.vals[k] = src.vals[k]
	}
	return nil
}
