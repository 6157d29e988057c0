// Package all assembles the registry of every provider family Switchyard supports.
package all

import (
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/anthropic"
	"github.com/switchyard/switchyard/internal/provider/azure"
	"github.com/switchyard/switchyard/internal/provider/bedrock"
	"github.com/switchyard/switchyard/internal/provider/fakeprovider"
	"github.com/switchyard/switchyard/internal/provider/gemini"
	"github.com/switchyard/switchyard/internal/provider/ollama"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

// compatible gives OpenAI-compatible providers their default base URL and the environment
// variable LiteLLM reads their key from. A provider config.Supported accepts that is not listed
// here needs api_base in its litellm_params.
var compatible = map[string][2]string{
	"openai":                 {"https://api.openai.com/v1", "OPENAI_API_KEY"},
	"text-completion-openai": {"https://api.openai.com/v1", "OPENAI_API_KEY"},
	"litellm_proxy":          {"", "LITELLM_PROXY_API_KEY"},
	"lm_studio":              {"http://localhost:1234/v1", ""},
	"llamafile":              {"http://127.0.0.1:8080/v1", ""},
	"groq":                   {"https://api.groq.com/openai/v1", "GROQ_API_KEY"},
	"deepseek":               {"https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"},
	"mistral":                {"https://api.mistral.ai/v1", "MISTRAL_API_KEY"},
	"together_ai":            {"https://api.together.xyz/v1", "TOGETHERAI_API_KEY"},
	"fireworks_ai":           {"https://api.fireworks.ai/inference/v1", "FIREWORKS_AI_API_KEY"},
	"xai":                    {"https://api.x.ai/v1", "XAI_API_KEY"},
	"openrouter":             {"https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
	"perplexity":             {"https://api.perplexity.ai", "PERPLEXITYAI_API_KEY"},
	"deepinfra":              {"https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY"},
	"cerebras":               {"https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"},
	"nvidia_nim":             {"https://integrate.api.nvidia.com/v1", "NVIDIA_NIM_API_KEY"},
	"sambanova":              {"https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY"},
	"github":                 {"https://models.inference.ai.azure.com", "GITHUB_API_KEY"},
	"nscale":                 {"https://inference.api.nscale.com/v1", "NSCALE_API_KEY"},
	"nebius":                 {"https://api.studio.nebius.ai/v1", "NEBIUS_API_KEY"},
	"novita":                 {"https://api.novita.ai/v3/openai", "NOVITA_API_KEY"},
	"featherless_ai":         {"https://api.featherless.ai/v1", "FEATHERLESS_AI_API_KEY"},
	"hyperbolic":             {"https://api.hyperbolic.xyz/v1", "HYPERBOLIC_API_KEY"},
	"lambda_ai":              {"https://api.lambda.ai/v1", "LAMBDA_API_KEY"},
	"meta_llama":             {"https://api.llama.com/compat/v1", "LLAMA_API_KEY"},
	"vercel_ai_gateway":      {"https://ai-gateway.vercel.sh/v1", "VERCEL_AI_GATEWAY_API_KEY"},
}

// Registry returns a registry with a family for every provider config.Supported accepts.
func Registry() provider.Registry {
	r := provider.Registry{}
	for _, name := range config.SupportedProviders() {
		switch {
		case name == "azure":
			r[name] = azure.New
		case name == "fake":
			r[name] = fakeprovider.New
		case translated[name] != nil:
			r[name] = translated[name]
		default:
			c := compatible[name]
			r[name] = openai.Family(c[0], c[1])
		}
	}
	return r
}

// translated are the families with their own wire format (see provider.Translator).
var translated = map[string]provider.Factory{
	"anthropic":   anthropic.New,
	"bedrock":     bedrock.New,
	"gemini":      gemini.New,
	"ollama":      ollama.New,
	"ollama_chat": ollama.New,
}
