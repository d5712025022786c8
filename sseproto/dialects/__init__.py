"""The dialects: decoded events in, typed updates and each provider's own result out."""
