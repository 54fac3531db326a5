"""Model backends: litellm for every provider, a scripted one for tests, demos and reruns."""
