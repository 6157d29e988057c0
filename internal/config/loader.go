package config

import (
	"cmp"
	"fmt"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Load reads the LiteLLM proxy config at path, and the files its include: list names (relative to
// path's directory), resolves os.environ/NAME references from the process environment, applies
// defaults and validates the result.
//
// On failure the error is an *Errors holding every problem found (not just the first), each
// naming file, line and field path. Non-fatal findings are in Config.Warnings.
//
// Rules worth knowing:
//   - Duplicate mapping keys: the last one wins (as PyYAML, hence LiteLLM), with a warning.
//   - os.environ/NAME that is unset: an error in any key Switchyard reads, a warning elsewhere.
//   - environment_variables: applied to this config's lookups only; the process environment is
//     never changed.
//   - Deployments whose provider Switchyard does not support yet are skipped with a warning; an
//     unknown "<prefix>/" is an error (see resolveModel for the whole rule).
//   - Keys whose omission would misroute traffic (tags, regions, access groups, Azure AD, custom
//     auth) are errors "… is not supported by Switchyard yet"; other unknown keys are warnings.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Errors{Errs: []*FieldError{{File: path, Msg: err.Error()}}}
	}
	return parse(path, data, os.LookupEnv, os.ReadFile)
}

// Parse is Load for a config already in memory (the built-in demo config, tests). name is the
// file name used in messages and the base for include: paths (read from disk). lookupEnv resolves
// os.environ/NAME references, LITELLM_MASTER_KEY, DATABASE_URL and the REDIS_* variables; nil
// means an empty environment.
func Parse(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parse(name, data, lookupEnv, os.ReadFile)
}

// file is one YAML file taking part in a load: the main config or an included one.
type file struct {
	name string
	seq  int // order of loading: main file 0, includes 1, 2, …
	root *yaml.Node
}

// field is a node in a file together with its path, for reading values and reporting problems.
type field struct {
	f    *file
	path string
	key  *yaml.Node // nil for list items and the root
	val  *yaml.Node // nil when the key is absent
	at   int        // line to report when there is neither key nor value (an absent key)
}

// present reports whether the field exists (even with a null value).
func (fd field) present() bool { return fd.val != nil }

// line is the line to report for the field: its key's, else (a list item) its value's.
func (fd field) line() int {
	if fd.key != nil {
		return fd.key.Line
	}
	if n := deref(fd.val); n != nil && n.Line > 0 {
		return n.Line
	}
	return fd.at
}

// child is the field for one key of this mapping.
func (fd field) child(p pair) field {
	return field{f: fd.f, path: joinPath(fd.path, p.key), key: p.keyNode, val: p.val}
}

// missing is the field for a key this mapping does not have; it reports at the mapping's own
// key ("litellm_params:"), or for a list item at its first line.
func (fd field) missing(key string) field {
	return field{f: fd.f, path: joinPath(fd.path, key), at: fd.line()}
}

// item is the field for the i-th element of this list.
func (fd field) item(i int, n *yaml.Node) field {
	return field{f: fd.f, path: fmt.Sprintf("%s[%d]", fd.path, i), val: n}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// issue is an error or warning with the file order it sorts by.
type issue struct {
	seq int
	fe  *FieldError
}

// loader holds the state of one Load: the files read, the problems found and the environment.
type loader struct {
	lookupEnv func(string) (string, bool)
	// setEnv are the config's environment_variables; they win over lookupEnv, as LiteLLM sets them
	// in its process environment before reading the rest of the config.
	setEnv   map[string]string
	readFile func(string) ([]byte, error)
	files    []*file
	errs     []issue
	warns    []issue
	// resolved marks scalar nodes whose os.environ/ reference was resolved for a field Switchyard
	// uses; every other unset reference becomes a warning at the end.
	resolved map[*yaml.Node]bool
	// credentials are credential_list entries by credential_name.
	credentials map[string]field
}

// errorf records an error at fd; the same error found twice (a credential shared by two
// deployments) is recorded once.
func (l *loader) errorf(fd field, format string, args ...any) {
	l.errs = l.record(l.errs, fd, fmt.Sprintf(format, args...))
}

// warnf records a warning at fd, once.
func (l *loader) warnf(fd field, format string, args ...any) {
	l.warns = l.record(l.warns, fd, fmt.Sprintf(format, args...))
}

func (l *loader) record(list []issue, fd field, msg string) []issue {
	fe := &FieldError{File: fd.f.name, Line: fd.line(), Path: fd.path, Msg: msg}
	for _, is := range list {
		if *is.fe == *fe {
			return list
		}
	}
	return append(list, issue{fd.f.seq, fe})
}

// getenv looks a variable up in the config's environment_variables, then the environment.
func (l *loader) getenv(name string) (string, bool) {
	if v, ok := l.setEnv[name]; ok {
		return v, true
	}
	return l.lookupEnv(name)
}

// addFile parses one file and registers it; nil root means an empty file.
func (l *loader) addFile(name string, data []byte) (*file, *FieldError) {
	root, ferr := parseYAML(name, data)
	if ferr != nil {
		return nil, ferr
	}
	f := &file{name: name, seq: len(l.files), root: root}
	l.files = append(l.files, f)
	return f, nil
}

func parse(name string, data []byte, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	l := &loader{lookupEnv: lookupEnv, readFile: readFile, resolved: map[*yaml.Node]bool{}}
	main, ferr := l.addFile(name, data)
	if ferr != nil {
		return nil, &Errors{Errs: []*FieldError{ferr}}
	}
	cfg := l.build(main)
	if len(l.errs) > 0 {
		return nil, &Errors{Errs: sortIssues(l.errs)}
	}
	for _, w := range sortIssues(l.warns) {
		cfg.Warnings = append(cfg.Warnings, w.Error())
	}
	return cfg, nil
}

// sortIssues orders problems by file, then line, keeping discovery order for equal lines.
func sortIssues(issues []issue) []*FieldError {
	slices.SortStableFunc(issues, func(a, b issue) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.fe.Line, b.fe.Line))
	})
	out := make([]*FieldError, len(issues))
	for i, is := range issues {
		out[i] = is.fe
	}
	return out
}
