package config

import (
	"encoding/json"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/internal/modelmap"
	"go.yaml.in/yaml/v3"
)

// modelListResult collects deployments across the main file and its includes.
type modelListResult struct {
	// entries counts model_list entries written, including skipped and broken ones.
	entries     int
	deployments []Deployment
	// at holds, per deployment, the field it came from (for duplicate-id warnings).
	at []field
	// unsupported lists providers whose deployments were skipped, in order of first sight.
	unsupported []string
	// broken counts model_list sections and include: files that could not be read (already
	// reported), so an empty result does not add "at least one deployment is required".
	broken int
}

// modelList reads one file's model_list.
func (l *loader) modelList(fd field, res *modelListResult) {
	n := deref(fd.val)
	if n == nil || n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(fd, "expected a list of deployments, got %s", kindName(n))
		res.broken++
		return
	}
	for i, item := range n.Content {
		res.entries++
		at := fd.item(i, item)
		if d, ok := l.deployment(at, res); ok {
			res.deployments = append(res.deployments, d)
			res.at = append(res.at, at)
		}
	}
}

// byKey indexes a mapping's fields by key.
func byKey(fields []field) map[string]field {
	m := make(map[string]field, len(fields))
	for _, f := range fields {
		m[f.key.Value] = f
	}
	return m
}

// get returns the field for key, or an absent field reporting at the mapping's line.
func get(m map[string]field, parent field, key string) field {
	if f, ok := m[key]; ok {
		return f
	}
	return parent.missing(key)
}

// deployment reads one model_list entry. ok=false when it is skipped or broken.
func (l *loader) deployment(fd field, res *modelListResult) (Deployment, bool) {
	fields, ok := l.mapping(fd)
	if !ok {
		if deref(fd.val).ShortTag() == "!!null" {
			l.errorf(fd, "expected a mapping with model_name and litellm_params, got nothing")
		}
		return Deployment{}, false
	}
	top := byKey(fields)
	for _, f := range fields {
		if !entryKeys[f.key.Value] {
			l.warnf(f, "unknown key in a model_list entry; ignored")
		}
	}
	nameF := get(top, fd, "model_name")
	before := len(l.errs)
	name, _ := l.str(nameF)
	if name == "" && len(l.errs) == before {
		l.errorf(nameF, "required")
	}
	lpF := get(top, fd, "litellm_params")
	before = len(l.errs)
	lpFields, _ := l.mapping(lpF)
	if lpFields == nil {
		if len(l.errs) == before {
			l.errorf(lpF.missing("model"), "required")
		}
		return Deployment{}, false
	}
	params := l.withCredential(byKey(lpFields), lpF)
	modelF := get(params, lpF, "model")
	before = len(l.errs)
	model, _ := l.str(modelF)
	if model == "" && len(l.errs) == before {
		l.errorf(modelF, "required")
	}
	if model == "" || name == "" {
		return Deployment{}, false
	}
	custom, _ := l.str(get(params, lpF, "custom_llm_provider"))
	r := resolveModel(model, custom, name)
	switch {
	case r.err != "":
		l.errorf(modelF, "%s", r.err)
		return Deployment{}, false
	case r.skip != "":
		l.warnf(modelF, "%s", r.skip)
		if r.unsupported && !slices.Contains(res.unsupported, r.provider) {
			res.unsupported = append(res.unsupported, r.provider)
		}
		return Deployment{}, false
	}
	miF := get(top, fd, "model_info")
	miFields, _ := l.mapping(miF)
	info := byKey(miFields)
	nErrs := len(l.errs)
	l.refuseParams(params, lpF, r.provider)
	if f, ok := info["access_groups"]; ok && !isEmpty(f) {
		l.errorf(f, "%s", notYet("access_groups", "any caller could reach this deployment"))
	}

	d := Deployment{
		ModelName: name, Model: model, Provider: r.provider, UpstreamModel: r.upstream,
		Line: fd.line(), Source: fd.f.name,
	}
	if id, ok := l.str(get(params, lpF, "deployment_id")); ok && id != "" {
		d.UpstreamModel = id // LiteLLM sends deployment_id in place of the model name (Azure)
	}
	l.connection(&d, params, lpF)
	l.limits(&d, params, lpF, top, info, fd)
	l.modelInfo(&d, info, miF)
	l.callDefaults(&d, params)
	if id, _ := l.str(get(info, miF, "id")); id != "" {
		d.ID = id
	} else {
		d.ID = deploymentID(name, lpF.val)
	}
	fillFromModelMap(&d)
	if len(l.errs) > nErrs {
		return Deployment{}, false
	}
	return d, true
}

// connection reads where and how to call the upstream.
func (l *loader) connection(d *Deployment, p map[string]field, parent field) {
	d.APIBase, _ = l.str(get(p, parent, "api_base"))
	d.APIKey, _ = l.secret(get(p, parent, "api_key"))
	d.APIVersion, _ = l.str(get(p, parent, "api_version"))
	d.Organization, _ = l.str(get(p, parent, "organization"))
	if b, ok := l.boolean(get(p, parent, "stream_usage")); ok {
		d.StreamUsage = &b
	}
	if f, ok := p["extra_headers"]; ok {
		if hs, ok := l.mapping(f); ok {
			d.ExtraHeaders = make(map[string]string, len(hs))
			for _, h := range hs {
				if v, ok := l.str(h); ok {
					d.ExtraHeaders[h.key.Value] = v
				}
			}
		}
	}
}

// limits reads quotas, weights and timeouts. rpm/tpm come from litellm_params, else the entry's
// top level, else model_info.
func (l *loader) limits(d *Deployment, p map[string]field, parent field, top, info map[string]field, entry field) {
	first := func(key string) field {
		for _, m := range []map[string]field{p, top, info} {
			if f, ok := m[key]; ok && !isEmpty(f) {
				return f
			}
		}
		return entry.missing(key)
	}
	d.RPM, _ = l.integer(first("rpm"), true)
	d.TPM, _ = l.integer(first("tpm"), true)
	d.Weight, _ = l.float(get(p, parent, "weight"), true)
	d.Order, _ = l.intField(get(p, parent, "order"))
	d.Timeout, _ = l.duration(get(p, parent, "timeout"))
	d.StreamTimeout, _ = l.duration(get(p, parent, "stream_timeout"))
	d.MaxParallelRequests, _ = l.intField(get(p, parent, "max_parallel_requests"))
	if c, ok := l.duration(get(p, parent, "cooldown_time")); ok {
		d.CooldownTime = &c
	}
	if n, ok := l.intField(get(p, parent, "num_retries")); ok {
		d.NumRetries = &n
	}
	d.InputCostPerToken, _ = l.float(get(p, parent, "input_cost_per_token"), true)
	d.OutputCostPerToken, _ = l.float(get(p, parent, "output_cost_per_token"), true)
}

// modelInfo reads model_info (free-form in LiteLLM; unknown keys are ignored silently).
func (l *loader) modelInfo(d *Deployment, info map[string]field, miF field) {
	d.BaseModel, _ = l.str(get(info, miF, "base_model"))
	d.Mode, _ = l.str(get(info, miF, "mode"))
	d.MaxInputTokens, _ = l.intField(get(info, miF, "max_input_tokens"))
	if d.InputCostPerToken == 0 {
		d.InputCostPerToken, _ = l.float(get(info, miF, "input_cost_per_token"), true)
	}
	if d.OutputCostPerToken == 0 {
		d.OutputCostPerToken, _ = l.float(get(info, miF, "output_cost_per_token"), true)
	}
}

// callDefaults fills Params (every key), Defaults (non-routing keys and extra_body's members) as
// JSON. A key present in both extra_body and litellm_params takes extra_body's value, as the
// OpenAI client LiteLLM uses merges extra_body last.
func (l *loader) callDefaults(d *Deployment, p map[string]field) {
	d.Params = make(map[string]any, len(p))
	for key, f := range sortedFields(p) {
		if v, ok := l.value(f, fakeParams[key] || credentialParams[key]); ok && (v != nil || deref(f.val).ShortTag() == "!!null") {
			if s, isStr := v.(string); isStr && isSecretParam(key) {
				v = Secret(s)
			}
			d.Params[key] = v
		}
		if isRoutingParam(key) {
			continue
		}
		if raw, ok := l.jsonValue(f); ok {
			setDefault(d, key, raw)
		}
	}
	if f, ok := p["extra_body"]; ok {
		if members, ok := l.mapping(f); ok {
			for _, m := range members {
				if raw, ok := l.jsonValue(m); ok {
					setDefault(d, m.key.Value, raw)
				}
			}
		}
	}
}

// isSecretParam reports whether a litellm_params key holds a credential (api_key, aws_secret_access_key,
// azure_ad_token, vertex_credentials, …); Params keeps such values as Secret.
func isSecretParam(key string) bool {
	return strings.HasSuffix(key, "_key") || strings.HasSuffix(key, "_token") ||
		strings.Contains(key, "secret") || strings.Contains(key, "password") || strings.Contains(key, "credential")
}

func setDefault(d *Deployment, key string, raw json.RawMessage) {
	if d.Defaults == nil {
		d.Defaults = map[string]json.RawMessage{}
	}
	d.Defaults[key] = raw
}

// fillFromModelMap fills the context window, prices and mode the config left out from LiteLLM's
// model map: model_info.base_model first, then the model as written, then provider/name, then the
// bare name when the map gives it the same provider.
func fillFromModelMap(d *Deployment) {
	info, ok := lookupModel(d)
	if ok {
		if d.MaxInputTokens == 0 {
			d.MaxInputTokens = info.MaxInputTokens
		}
		if d.InputCostPerToken == 0 {
			d.InputCostPerToken = info.InputCostPerToken
		}
		if d.OutputCostPerToken == 0 {
			d.OutputCostPerToken = info.OutputCostPerToken
		}
		if d.Mode == "" {
			d.Mode = info.Mode
		}
	}
	if d.Mode == "" {
		d.Mode = "chat"
	}
}

func lookupModel(d *Deployment) (modelmap.Info, bool) {
	var names []string
	if d.BaseModel != "" {
		names = append(names, d.BaseModel, d.Provider+"/"+d.BaseModel)
	}
	names = append(names, d.Model, d.Provider+"/"+d.UpstreamModel)
	for _, n := range names {
		if info, ok := modelmap.Lookup(n); ok {
			return info, true
		}
	}
	if info, ok := modelmap.Lookup(d.UpstreamModel); ok && mapProvider(info.Provider) == d.Provider {
		return info, true
	}
	return modelmap.Info{}, false
}

// isEmpty reports whether a field is absent, null, an empty string/list/mapping or false.
func isEmpty(f field) bool {
	n := deref(f.val)
	if n == nil {
		return true
	}
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		return len(n.Content) == 0
	}
	switch v := scalarValue(n).(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	}
	return false
}

// sortedFields iterates a field index in key order, so problems are found in a stable order.
func sortedFields(m map[string]field) iter.Seq2[string, field] {
	return func(yield func(string, field) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
