// Package ui holds the dashboard page served at GET /ui: one self-contained HTML file (inline
// CSS, JavaScript and SVG; nothing fetched from elsewhere, no build step), embedded in the binary.
package ui

import _ "embed"

// Index is the dashboard page. It polls GET /ui/state every second.
//
//go:embed index.html
var Index []byte
