package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/config"
)

// DefaultReloadInterval is how often the config file is checked for changes by default.
const DefaultReloadInterval = 5 * time.Second

// Watch reloads the config at path until ctx ends: on every value received from hup (the
// SIGHUP handler's channel; nil for none), and whenever the content of the file or of a file
// its include: list names changes, checked every interval (0 or less: no polling).
//
// Changes are found by hashing (SHA-256) the content read through the paths, not by file
// events: Kubernetes updates a mounted ConfigMap by swapping a symlink, which file watches
// miss. A change is reloaded once; a rejected file is not retried until it changes again (or
// SIGHUP). With no path, or for the demo, there is nothing to reload and SIGHUP is only logged.
func (s *Server) Watch(ctx context.Context, path string, interval time.Duration, hup <-chan os.Signal) {
	if path == "" || s.opts.Demo {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				s.log.Info("SIGHUP: " + ErrNothingToReload.Error())
			}
		}
	}
	last := s.bootPrint
	if path != s.boot.File {
		last = fingerprint(path, s.current().cfg)
	}
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			s.log.Info("SIGHUP: reloading the config", "file", path)
			last = fingerprint(path, s.current().cfg)
			s.ReloadFile(path)
		case <-tick:
			if fp := fingerprint(path, s.current().cfg); fp != last {
				last = fp
				s.log.Info("config file changed; reloading", "file", path)
				s.ReloadFile(path)
			}
		}
	}
}

// fingerprint hashes the config at path and every file it includes: those its include: list
// names (found by a light scan, as the file may not parse) and those cfg's deployments came
// from. A missing or unreadable file hashes as such, so its return is a change.
func fingerprint(path string, cfg *config.Config) [sha256.Size]byte {
	h := sha256.New()
	data, err := os.ReadFile(path)
	hashFile(h, path, data, err)
	var files []string
	dir := filepath.Dir(path)
	for _, name := range includeNames(data) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		files = append(files, name)
	}
	for _, d := range cfg.Deployments {
		files = append(files, d.Source)
	}
	slices.Sort(files)
	for _, f := range slices.Compact(files) {
		if f == path || f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		hashFile(h, f, data, err)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func hashFile(h hash.Hash, name string, data []byte, err error) {
	fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
	h.Write(data)
	if err != nil {
		fmt.Fprintf(h, "\x00error: %v\x00", err)
	}
}

// includeNames returns the entries of a top-level include: list, block ("- a.yaml" lines) or
// flow ("[a.yaml, b.yaml]") style, quotes and comments removed. It only decides which files
// to hash; config.Load does the real parsing.
func includeNames(data []byte) []string {
	var names []string
	in := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\r\n")
		if !in {
			rest, ok := strings.CutPrefix(line, "include:")
			if !ok {
				continue
			}
			rest = uncomment(rest)
			if flow, ok := strings.CutPrefix(rest, "["); ok {
				flow, _, _ = strings.Cut(flow, "]")
				for _, item := range strings.Split(flow, ",") {
					names = appendName(names, item)
				}
				continue
			}
			in = rest == ""
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case line[0] != ' ' && line[0] != '\t' && line[0] != '-':
			in = false
		case strings.HasPrefix(t, "-"):
			names = appendName(names, uncomment(t[1:]))
		}
	}
	return names
}

// uncomment drops a trailing " # comment" and surrounding space.
func uncomment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func appendName(names []string, s string) []string {
	s = strings.Trim(strings.TrimSpace(s), `"'`)
	if s == "" {
		return names
	}
	return append(names, s)
}
