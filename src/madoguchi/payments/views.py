"""Payment pages: the fee and the methods, the return from a provider, provider webhooks."""
