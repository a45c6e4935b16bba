"""The benchmark behind `make bench`: ingress, its ceiling, processor drain, end to end.

Run from the repository root with `python -m bench` (see bench/README.md). It is not
installed with the package: it drives the installed `fleetwire` command as an operator
would, against a real broker.
"""
