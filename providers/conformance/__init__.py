"""The conformance suite: what every provider, built in or a plugin, must do.

`rules` holds the rules as plain functions over a `providers.spec.Provider`; each raises
AssertionError naming the provider and what is wrong, or `NotApplicable` where a rule
does not apply to it (the signing rules to a provider fleetwire polls). `suite` runs
them as pytest tests over the installed providers: a test module enables it with

    from providers.conformance.suite import *  # noqa: F403

and may restrict it with `CONFORMANCE_PROVIDERS = ["acme"]` (docs/providers.md).

The suite needs pytest and hypothesis, a plugin author's test dependencies: only this
package imports them, and nothing in fleetwire's processes imports this package.
"""
