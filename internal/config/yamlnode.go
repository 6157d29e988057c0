package config

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlLineRE picks the line number out of yaml.v3's syntax errors ("yaml: line 5: …").
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML decodes data into a node tree (not into Go values, so duplicate keys survive and every
// value keeps its line). It returns the root node of the first document, or nil for an empty file.
func parseYAML(name string, data []byte) (*yaml.Node, *FieldError) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		return nil, &FieldError{File: name, Line: line, Msg: "invalid YAML: " + msg}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return deref(doc.Content[0]), nil
}

// yamlErrorLine splits a yaml.v3 error into its line (0 if none) and the parser's message.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// deref follows alias nodes (*anchor) to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pair is one key of a YAML mapping with its value.
type pair struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// mappingPairs returns a mapping's keys in order of first appearance. A key written twice keeps
// its first position and its last value, as PyYAML (LiteLLM) does; dups lists the later
// occurrences (the ones that won). Merge keys ("<<: *anchor") are expanded; explicit keys win.
func mappingPairs(n *yaml.Node) (pairs []pair, dups []pair) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	index := map[string]int{}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, mergeSources(v)...)
			continue
		}
		p := pair{key: k.Value, keyNode: k, val: v}
		if j, ok := index[p.key]; ok {
			dups = append(dups, p)
			pairs[j].val = v
			pairs[j].keyNode = k
			continue
		}
		index[p.key] = len(pairs)
		pairs = append(pairs, p)
	}
	for _, p := range merged {
		if _, ok := index[p.key]; !ok {
			index[p.key] = len(pairs)
			pairs = append(pairs, p)
		}
	}
	return pairs, dups
}

// mergeSources lists the pairs a merge key brings in (one mapping or a list of mappings).
func mergeSources(v *yaml.Node) []pair {
	v = deref(v)
	var out []pair
	switch v.Kind {
	case yaml.MappingNode:
		out, _ = mappingPairs(v)
	case yaml.SequenceNode:
		for _, item := range v.Content {
			ps, _ := mappingPairs(item)
			out = append(out, ps...)
		}
	}
	return out
}

// scalarValue converts a scalar node to a Go value: string, int64, float64, bool or nil.
// Timestamps stay strings (as written), like every tag this loader does not interpret.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err == nil {
			if i, ok := v.(int); ok {
				return int64(i)
			}
			if u, ok := v.(uint64); ok {
				return float64(u)
			}
			return v
		}
	}
	return n.Value
}

// kindName names a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch deref(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

// rawValue converts a node to plain Go values (map[string]any, []any, scalars) without resolving
// os.environ/ references. Used for hashing deployment ids.
func rawValue(n *yaml.Node) any {
	n = deref(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		pairs, _ := mappingPairs(n)
		m := make(map[string]any, len(pairs))
		for _, p := range pairs {
			m[p.key] = rawValue(p.val)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = rawValue(c)
		}
		return s
	default:
		return scalarValue(n)
	}
}
