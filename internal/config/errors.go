package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem in a config file. Its text is "FILE:LINE: PATH: MSG", e.g.
// "config.yaml:14: model_list[2].litellm_params.model: required"; the line is left out when
// unknown (0) and the path when the problem concerns the whole file.
type FieldError struct {
	// File is the path of the file as given to Load (or the include path as resolved).
	File string
	// Line is 1-based; 0 when there is no line to point at.
	Line int
	// Path is the field path ("model_list[2].litellm_params.model"); "" for the whole file.
	Path string
	// Msg says what is wrong. It never contains a secret value.
	Msg string
}

// Error formats the problem as "FILE:LINE: PATH: MSG".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Load found, ordered by file (the main file first, then includes) and
// line. It is never empty when returned.
type Errors struct {
	// Errs holds the problems; each prints as one line.
	Errs []*FieldError
}

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.As and errors.Is access to each *FieldError.
func (e *Errors) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, fe := range e.Errs {
		out[i] = fe
	}
	return out
}
