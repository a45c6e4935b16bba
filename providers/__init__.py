"""The provider kit: what a provider is (`spec`), which are installed (`registry`), the
built-in ones (`builtin`), the conformance suite every provider passes (`conformance`)
and the scaffold of a new one (`scaffold`).

A provider is declared once, as a `Provider`, and registered under the entry-point group
`fleetwire.providers`, built-in and plugin alike. Everything that loops over providers
(the ingress, the processors, the commands, the documents, the tests) reads the registry.
"""
