"""OpenAI ``chat.completion.chunk`` streams (OpenAI and every OpenAI-compatible vendor)."""
