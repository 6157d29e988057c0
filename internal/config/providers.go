package config

import (
	"slices"
	"strings"

	"github.com/switchyard/switchyard/internal/modelmap"
)

// litellmProviders is LiteLLM's provider list: the values of the LlmProviders enum in BerriAI/litellm
// litellm/types/utils.py (commit 001c64f24845167b8fcd01f3e48152923627d4c7), which is what
// LiteLLM's `litellm.provider_list` holds, plus Switchyard's test-only "fake" provider.
var litellmProviders = map[string]bool{
	"openai": true, "chatgpt": true, "openai_like": true, "jina_ai": true, "xai": true, "zai": true,
	"custom_openai": true, "text-completion-openai": true, "cohere": true, "cohere_chat": true,
	"clarifai": true, "anthropic": true, "anthropic_text": true, "bytez": true, "replicate": true,
	"reducto": true, "runwayml": true, "aws_polly": true, "huggingface": true, "together_ai": true,
	"openrouter": true, "datarobot": true, "vertex_ai": true, "vertex_ai_beta": true, "gemini": true,
	"ai21": true, "baseten": true, "black_forest_labs": true, "azure": true, "azure_text": true,
	"azure_ai": true, "sagemaker": true, "sagemaker_chat": true, "sagemaker_nova": true,
	"bedrock": true, "vllm": true, "nlp_cloud": true, "petals": true, "oobabooga": true,
	"ollama": true, "ollama_chat": true, "deepinfra": true, "perplexity": true, "mistral": true,
	"milvus": true, "groq": true, "a2a": true, "gigachat": true, "nvidia_nim": true,
	"nvidia_riva": true, "soniox": true, "cerebras": true, "ai21_chat": true, "volcengine": true,
	"codestral": true, "text-completion-codestral": true, "dashscope": true, "modelscope": true,
	"moonshot": true, "publicai": true, "v0": true, "morph": true, "lambda_ai": true,
	"inception": true, "text-completion-inception": true, "deepseek": true, "sambanova": true,
	"maritalk": true, "voyage": true, "cloudflare": true, "xinference": true, "fireworks_ai": true,
	"friendliai": true, "featherless_ai": true, "watsonx": true, "watsonx_text": true,
	"triton": true, "predibase": true, "databricks": true, "empower": true, "github": true,
	"ragflow": true, "compactifai": true, "docker_model_runner": true, "custom": true,
	"litellm_proxy": true, "hosted_vllm": true, "tencent": true, "llamafile": true,
	"lm_studio": true, "galadriel": true, "nebius": true, "infinity": true, "deepgram": true,
	"elevenlabs": true, "novita": true, "aiohttp_openai": true, "langfuse": true,
	"humanloop": true, "topaz": true, "sap": true, "assemblyai": true, "charity_engine": true,
	"github_copilot": true, "snowflake": true, "gradient_ai": true, "meta_llama": true,
	"nscale": true, "pg_vector": true, "s3_vectors": true, "helicone": true, "hyperbolic": true,
	"recraft": true, "fal_ai": true, "stability": true, "heroku": true, "aiml": true,
	"cometapi": true, "oci": true, "auto_router": true, "vercel_ai_gateway": true,
	"dotprompt": true, "manus": true, "wandb": true, "ovhcloud": true, "scaleway": true,
	"lemonade": true, "amazon_nova": true, "a2a_agent": true, "langgraph": true, "langflow": true,
	"minimax": true, "synthetic": true, "apertis": true, "nano-gpt": true, "poe": true,
	"chutes": true, "neosantara": true, "parasail": true, "xiaomi_mimo": true, "tensormesh": true,
	"libertai": true, "pinstripes": true, "darkbloom": true, "meta": true, "litellm_agent": true,
	"cursor": true, "bedrock_mantle": true, "gdc": true,
	"fake": true,
}

// supportedProviders are the providers Switchyard can call today: openai, azure, the test-only
// fake upstream, the translated families (anthropic, gemini, ollama, ollama_chat, bedrock: their
// own wire formats, see internal/provider), and providers LiteLLM itself drives through its
// OpenAI-compatible chat client (Bearer auth, POST {api_base}/chat/completions with the OpenAI
// body). Left out on purpose:
// vllm (LiteLLM runs it in-process; hosted_vllm is the HTTP one), github_copilot (OAuth device
// flow), azure_ai (its own auth and paths), and everything with its own wire format.
// anyscale, which the brief of this package once listed, is no longer in LiteLLM's enum.
var supportedProviders = map[string]bool{
	"openai": true, "azure": true, "fake": true,
	"anthropic": true, "gemini": true, "ollama": true, "ollama_chat": true, "bedrock": true,
	"text-completion-openai": true, "custom_openai": true, "openai_like": true,
	"hosted_vllm": true, "litellm_proxy": true, "lm_studio": true, "llamafile": true,
	"docker_model_runner": true, "groq": true, "deepseek": true, "mistral": true,
	"together_ai": true, "fireworks_ai": true, "xai": true, "openrouter": true,
	"perplexity": true, "deepinfra": true, "cerebras": true, "nvidia_nim": true,
	"sambanova": true, "github": true, "nscale": true, "nebius": true, "novita": true,
	"featherless_ai": true, "hyperbolic": true, "lambda_ai": true, "meta_llama": true,
	"galadriel": true, "vercel_ai_gateway": true,
}

// SupportedProviders returns the providers Supported accepts, sorted.
func SupportedProviders() []string {
	out := make([]string, 0, len(supportedProviders))
	for p := range supportedProviders {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Supported reports whether Switchyard can send traffic to provider (a litellm_params.model
// prefix such as "openai", "azure", "groq"). Deployments of other providers are skipped with a
// warning.
func Supported(provider string) bool { return supportedProviders[provider] }

// KnownProvider reports whether provider is one LiteLLM knows (its LlmProviders enum) or
// Switchyard's "fake". A model prefix that is not known is not a provider at all.
func KnownProvider(provider string) bool { return litellmProviders[provider] }

// resolution is how a deployment's litellm_params.model was understood.
type resolution struct {
	provider, upstream string
	// skip, when set, says why the deployment is left out (a warning, not an error).
	skip string
	// unsupported is set when the skip is for a provider LiteLLM knows but Switchyard lacks.
	unsupported bool
	// err, when set, is a startup error.
	err string
}

// resolveModel finds the provider of a deployment's model. The rule, in order:
//
//  1. litellm_params.custom_llm_provider, when given, is the provider (it must be known); the
//     model is sent as written, minus a leading "<provider>/".
//  2. model "*" (route any requested name): the provider of the group's "<provider>/*" prefix,
//     else openai; the upstream model is "*" (the requested name, filled in by the router).
//  3. "<prefix>/<name>" with a known prefix: that provider and name ("azure/gpt-x" → azure, "gpt-x";
//     "openai/*" → openai, "*"). An empty name ("azure/") is skipped with a warning.
//  4. a name in LiteLLM's model map: the map's litellm_provider (gpt-4o → openai), name as written.
//  5. a name the map lists as "openrouter/<name>": openrouter, as LiteLLM's get_llm_provider does
//     with its openrouter_models list ("mistralai/mistral-7b-instruct" → openrouter).
//  6. otherwise, with a slash: an unknown provider — an error, since LiteLLM's get_llm_provider
//     rejects it too ("LLM Provider NOT provided").
//  7. otherwise (a bare name nobody knows, e.g. "o1-preview" after it left the map): skipped with
//     a warning asking for a provider prefix, so a config LiteLLM loads still starts.
//
// A provider that is known but not Supported is skipped with a warning (unsupported=true).
func resolveModel(model, customProvider, group string) resolution {
	r := resolveProvider(model, customProvider, group)
	if r.err == "" && r.skip == "" && !Supported(r.provider) {
		r.unsupported = true
		r.skip = "provider " + quote(r.provider) + " (model " + quote(model) + ") is not supported by Switchyard yet; deployment skipped"
	}
	return r
}

func resolveProvider(model, customProvider, group string) resolution {
	if customProvider != "" {
		if !KnownProvider(customProvider) {
			return resolution{err: "unknown provider " + quote(customProvider) + " in custom_llm_provider"}
		}
		return resolution{provider: customProvider, upstream: strings.TrimPrefix(model, customProvider+"/")}
	}
	if model == "*" {
		if p, ok := strings.CutSuffix(group, "/*"); ok && KnownProvider(p) {
			return resolution{provider: p, upstream: "*"}
		}
		return resolution{provider: "openai", upstream: "*"}
	}
	prefix, name, hasSlash := strings.Cut(model, "/")
	if hasSlash && KnownProvider(prefix) {
		if name == "" {
			return resolution{skip: "model " + quote(model) + " names no upstream model after the provider; deployment skipped"}
		}
		return resolution{provider: prefix, upstream: name}
	}
	if info, ok := modelmap.Lookup(model); ok {
		return resolution{provider: mapProvider(info.Provider), upstream: model}
	}
	if _, ok := modelmap.Lookup("openrouter/" + model); ok {
		return resolution{provider: "openrouter", upstream: model}
	}
	if hasSlash {
		return resolution{err: "unknown provider " + quote(prefix) + " in model " + quote(model)}
	}
	return resolution{skip: "model " + quote(model) + " has no provider prefix and is not in LiteLLM's model map, so its provider is unknown; write it as \"<provider>/" + model + "\" (e.g. \"openai/" + model + "\"); deployment skipped"}
}

// mapProvider turns the model map's litellm_provider into a provider name: the map uses
// sub-kinds such as "vertex_ai-language-models" and "fireworks_ai-embedding-models".
func mapProvider(p string) string {
	if KnownProvider(p) {
		return p
	}
	if base, _, ok := strings.Cut(p, "-"); ok && KnownProvider(base) {
		return base
	}
	return p
}

func quote(s string) string { return "\"" + s + "\"" }
