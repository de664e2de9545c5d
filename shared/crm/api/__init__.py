"""HTTP helpers every API function uses (resolver, problem+json, ETags, idempotency)."""
