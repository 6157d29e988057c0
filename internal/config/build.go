package config

import (
	"errors"
	"io/fs"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// helmMessage explains a Helm values file passed as a config.
const helmMessage = "this looks like a Helm values file, not a LiteLLM config: the config is under " +
	"proxy_config: (pass that part to Switchyard as its own file)"

// build reads the main file's sections (and its includes) into a Config.
func (l *loader) build(main *file) *Config {
	cfg := &Config{File: main.name}
	root := field{f: main, val: main.root}
	noList := field{f: main, path: "model_list"}
	if main.root == nil || main.root.ShortTag() == "!!null" {
		l.errorf(noList, "at least one deployment is required (models stored in a database are not supported)")
		return cfg
	}
	if main.root.Kind != yaml.MappingNode {
		l.errorf(root, "expected a mapping of sections (model_list, router_settings, …), got %s", kindName(main.root))
		return cfg
	}
	fields, _ := l.mapping(root)
	top := byKey(fields)
	listF, hasList := top["model_list"]
	if pc, ok := top["proxy_config"]; ok && !hasList && deref(pc.val).Kind == yaml.MappingNode {
		l.errorf(pc, "%s", helmMessage)
		return cfg
	}
	if !hasList {
		listF = noList
	}
	if f, ok := top["environment_variables"]; ok {
		l.applyEnvironmentVariables(f)
	}
	for _, f := range fields {
		if !topLevelKeys[f.key.Value] {
			l.warnf(f, "top-level key not used by Switchyard; ignored")
		}
	}
	if f, ok := top["credential_list"]; ok {
		l.credentialList(f)
	}
	res := &modelListResult{}
	l.modelList(listF, res)
	if f, ok := top["include"]; ok {
		l.includes(f, res)
	}
	cfg.Deployments = l.checkDeployments(res, listF)

	rs := l.section(top, "router_settings", func(k string) bool { return routerKeys[k] })
	ls := l.section(top, "litellm_settings", func(k string) bool { return litellmKeys[k] || litellmRouterKeys[k] != "" })
	gs := l.section(top, "general_settings", func(k string) bool { return generalKeys[k] })
	l.refuseSettings(rs, gs)
	cfg.Router = l.routerSettings(rs, ls)
	cfg.Litellm = l.litellmSettings(ls)
	cfg.General = l.generalSettings(gs, main)
	cfg.Redis = l.redis(rs, ls, main)
	l.warnUnsetEnv()
	return cfg
}

// includes reads the files named by include: (relative to the including file's directory) and
// appends their model_list entries. As in LiteLLM, includes are read from the main file only;
// keys other than model_list in an included file are ignored with a warning.
func (l *loader) includes(fd field, res *modelListResult) {
	items, ok := l.list(fd, "file names")
	if !ok {
		return
	}
	dir := filepath.Dir(fd.f.name)
	for i, it := range items {
		item := fd.item(i, it)
		name, ok := l.str(item)
		if !ok || name == "" {
			continue
		}
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, name)
		}
		data, err := l.readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			res.broken++
			l.errorf(item, "included file %q not found (looked for %s)", name, path)
			continue
		}
		if err != nil {
			res.broken++
			l.errorf(item, "cannot read included file %q: %v", name, err)
			continue
		}
		f, ferr := l.addFile(path, data)
		if ferr != nil {
			res.broken++
			l.errs = append(l.errs, issue{seq: len(l.files), fe: ferr})
			continue
		}
		inc := field{f: f, val: f.root}
		if f.root == nil || f.root.ShortTag() == "!!null" {
			continue
		}
		incFields, _ := l.mapping(inc)
		for _, c := range incFields {
			if c.key.Value != "model_list" {
				l.warnf(c, "only model_list is read from an included file; key ignored")
			}
		}
		if c, ok := byKey(incFields)["model_list"]; ok {
			l.modelList(c, res)
		}
	}
}
