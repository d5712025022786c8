"""The Gemini dialect: ``streamGenerateContent?alt=sse`` chunks in, the response out."""
