package config

import (
	"fmt"
	"strings"
)

// notYet is the error text for a key Switchyard refuses rather than silently ignores: ignoring it
// would send traffic, or credentials, where the user did not mean them.
func notYet(key, why string) string {
	return fmt.Sprintf("%s is not supported by Switchyard yet (%s)", key, why)
}

// refuseParams reports litellm_params keys of a served deployment of provider that Switchyard
// cannot honour.
func (l *loader) refuseParams(p map[string]field, parent field, provider string) {
	for _, key := range []string{"tags", "tag_regex"} {
		if f, ok := p[key]; ok && !isEmpty(f) {
			l.errorf(f, "%s", notYet(key, "tag-based routing; every request would reach this deployment"))
		}
	}
	for _, key := range []string{"region_name", "allowed_model_region"} {
		if f, ok := p[key]; ok && !isEmpty(f) {
			l.errorf(f, "%s", notYet(key, "region filtering; requests restricted to a region could reach this deployment"))
		}
	}
	if f, ok := p["azure_ad_token"]; ok && !isEmpty(f) {
		if s, _ := l.str(f); strings.HasPrefix(s, "oidc/") {
			l.errorf(f, "%s", notYet("azure_ad_token \"oidc/…\"", "OIDC federation"))
		} else if provider != "azure" {
			l.errorf(f, "azure_ad_token applies to azure deployments only, not %s", quote(provider))
		}
	}
	tenant, okT := p["tenant_id"]
	_, okC := p["client_id"]
	_, okS := p["client_secret"]
	if okT && okC && okS && provider != "azure" {
		l.errorf(tenant, "tenant_id + client_id + client_secret (Azure AD authentication) apply to azure deployments only, not %s", quote(provider))
	}
}

// refuseSettings reports settings Switchyard cannot honour yet.
func (l *loader) refuseSettings(router, general map[string]field) {
	if f, ok := router["enable_tag_filtering"]; ok {
		if on, _ := l.boolean(f); on {
			l.errorf(f, "%s", notYet("enable_tag_filtering", "tag-based routing"))
		}
	}
	if f, ok := general["custom_auth"]; ok && !isEmpty(f) {
		l.errorf(f, "%s", notYet("custom_auth", "only general_settings.master_key authenticates"))
	}
}

// credentialList reads the top-level credential_list (LiteLLM's centralized credentials) so that
// litellm_params.litellm_credential_name can refer to an entry.
func (l *loader) credentialList(fd field) {
	items, ok := l.list(fd, "credentials")
	if !ok {
		return
	}
	l.credentials = map[string]field{}
	for i, c := range items {
		entry := fd.item(i, c)
		fields, ok := l.mapping(entry)
		if !ok {
			continue
		}
		m := byKey(fields)
		name, _ := l.str(get(m, entry, "credential_name"))
		if name == "" {
			l.errorf(get(m, entry, "credential_name"), "required")
			continue
		}
		if v, ok := m["credential_values"]; ok {
			l.credentials[name] = v
		}
	}
}

// withCredential adds the values of the credential named by litellm_credential_name to a
// deployment's litellm_params; keys the deployment sets itself win.
func (l *loader) withCredential(p map[string]field, parent field) map[string]field {
	f, ok := p["litellm_credential_name"]
	if !ok || isEmpty(f) {
		return p
	}
	name, _ := l.str(f)
	cred, ok := l.credentials[name]
	if !ok {
		l.errorf(f, "credential %q is not in credential_list", name)
		return p
	}
	values, _ := l.mapping(cred)
	out := make(map[string]field, len(p)+len(values))
	for _, v := range values {
		out[v.key.Value] = v
	}
	for k, v := range p {
		out[k] = v
	}
	return out
}

// checkDeployments enforces what holds across all entries: at least one deployment to serve, and
// unique ids (the first of two entries with one id is kept).
func (l *loader) checkDeployments(res *modelListResult, listField field) []Deployment {
	if res.entries == 0 {
		if res.broken > 0 {
			return nil // the errors already reported say it all
		}
		l.errorf(listField, "at least one deployment is required (models stored in a database are not supported)")
		return nil
	}
	if len(res.deployments) == 0 {
		if len(l.errs) == 0 {
			if len(res.unsupported) > 0 {
				l.errorf(listField, "no deployment left to serve: providers not supported by Switchyard yet: %s", strings.Join(res.unsupported, ", "))
			} else {
				l.errorf(listField, "no deployment left to serve (every entry was skipped; see the warnings)")
			}
		}
		return nil
	}
	seen := map[string]int{}
	out := res.deployments[:0:0]
	for i, d := range res.deployments {
		if j, dup := seen[d.ID]; dup {
			first := res.at[j]
			l.warnf(res.at[i], "deployment id %q is already used by %s (%s:%d); this entry is ignored", d.ID, first.path, first.f.name, first.line())
			continue
		}
		seen[d.ID] = i
		out = append(out, d)
	}
	return out
}
