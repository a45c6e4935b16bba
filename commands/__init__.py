"""The `fleetwire` commands: the layer above the ingress, the processors and the providers."""
