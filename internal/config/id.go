package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// idIgnoredParams are tunables left out of the deployment id, so changing a quota or a timeout
// keeps a deployment's id (and its usage and cooldown state in Redis) across reloads.
var idIgnoredParams = map[string]bool{
	"rpm": true, "tpm": true, "weight": true, "order": true, "timeout": true,
	"stream_timeout": true, "cooldown_time": true, "max_parallel_requests": true,
}

// deploymentID is the id of an entry without model_info.id: the first 16 bytes, in hex (32
// characters), of sha256 over the canonical JSON (keys sorted) of model_name and litellm_params
// as written — os.environ/ references unresolved, so rotating a key's value keeps the id —
// without idIgnoredParams. Every instance computes the same id from the same file. LiteLLM's
// own ids are computed differently.
func deploymentID(modelName string, params *yaml.Node) string {
	p, _ := rawValue(params).(map[string]any)
	kept := make(map[string]any, len(p))
	for k, v := range p {
		if !idIgnoredParams[k] {
			kept[k] = v
		}
	}
	b, err := json.Marshal(map[string]any{"model_name": modelName, "litellm_params": kept})
	if err != nil {
		// Only non-finite floats fail to marshal; hash their text instead.
		b = []byte(modelName + "\x00" + yamlText(params))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// yamlText re-encodes a node; used only as a hashing fallback.
func yamlText(n *yaml.Node) string {
	b, _ := yaml.Marshal(n)
	return string(b)
}
