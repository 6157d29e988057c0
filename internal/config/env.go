package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// envPrefix marks a string value that names an environment variable, as in LiteLLM.
const envPrefix = "os.environ/"

// envRef returns NAME for a value "os.environ/NAME".
func envRef(s string) (string, bool) {
	name, ok := strings.CutPrefix(s, envPrefix)
	return name, ok && name != ""
}

// applyEnvironmentVariables reads the top-level environment_variables block. LiteLLM exports these
// into its own process environment at startup; Switchyard does not touch the process environment
// (other code, and other configs loaded in the same process, must not see them) and instead
// resolves this config's os.environ/ references, LITELLM_MASTER_KEY and REDIS_* against them
// first, then against the real environment.
func (l *loader) applyEnvironmentVariables(fd field) {
	if !fd.present() || deref(fd.val).ShortTag() == "!!null" {
		return
	}
	if deref(fd.val).Kind != yaml.MappingNode {
		l.errorf(fd, "expected a mapping of variable names to values, got %s", kindName(fd.val))
		return
	}
	pairs, dups := mappingPairs(fd.val)
	l.warnDups(fd, dups)
	l.setEnv = make(map[string]string, len(pairs))
	for _, p := range pairs {
		c := fd.child(p)
		if v, ok := l.str(c); ok {
			l.setEnv[p.key] = v
		}
	}
}

// warnUnsetEnv warns about every os.environ/ reference that is unset and was not read by a field
// Switchyard uses (those are errors already). LiteLLM starts with such values unresolved.
func (l *loader) warnUnsetEnv() {
	for _, f := range l.files {
		if f.root != nil {
			l.walkUnset(field{f: f, val: f.root}, map[*yaml.Node]bool{})
		}
	}
}

func (l *loader) walkUnset(fd field, seen map[*yaml.Node]bool) {
	n := deref(fd.val)
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		pairs, _ := mappingPairs(n)
		for _, p := range pairs {
			l.walkUnset(fd.child(p), seen)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			l.walkUnset(fd.item(i, c), seen)
		}
	case yaml.ScalarNode:
		if l.resolved[n] || n.ShortTag() != "!!str" {
			return
		}
		if name, ok := envRef(n.Value); ok {
			if _, set := l.getenv(name); !set {
				l.warnf(fd, "environment variable %s is not set (Switchyard does not use this key, so it is not an error)", name)
			}
		}
	}
}
