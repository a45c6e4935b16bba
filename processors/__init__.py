"""The processors: raw provider records in, canonical CloudEvents and dead letters out."""
