"""The rules of the conformance suite, each a plain function over a `Provider`.

A rule returns if the provider keeps it, raises AssertionError naming the provider and
what is wrong if not, and NotApplicable where it does not apply (the signing rules to a
provider fleetwire polls, the tampering rule to a static credential). `RULES` lists them
in the order the suite runs them.
"""

from __future__ import annotations

from collections.abc import Callable

from providers import golden
from providers.conformance import delivery, hostile, signing
from providers.conformance.events import check_event
from providers.conformance.sources import NotApplicable
from providers.spec import Provider

Rule = Callable[[Provider], None]


def has_samples_and_golden_files(provider: Provider) -> None:
    """The provider ships samples, and a golden file for each sample that is an event."""
    if not golden.samples_dir(provider).is_dir():
        raise AssertionError(f"{provider.name}: samples directory {provider.samples} is missing")
    if not golden.event_samples(provider):
        raise AssertionError(f"{provider.name}: no sample in {provider.samples}")
    unknown = sorted(
        set(provider.rejected_samples) - {p.stem for p in golden.valid_samples(provider)}
    )
    if unknown:
        raise AssertionError(f"{provider.name}: rejected_samples names no sample: {unknown}")


def samples_match_their_golden_files(provider: Provider) -> None:
    """Every event sample normalizes to its reviewed golden file, every golden file has its
    sample, and every rejected sample is dead-lettered as declared (FLEETWIRE_UPDATE_GOLDEN=1
    rewrites the golden files instead of comparing)."""
    failures = []
    for sample in golden.event_samples(provider):
        try:
            golden.assert_matches_golden(provider, sample)
        except AssertionError as exc:
            failures.append(str(exc))
    orphans = golden.orphaned_golden_files(provider)
    if orphans:
        failures.append(f"{provider.name}: golden files without their sample: {orphans}")
    for stem, kind in sorted(provider.rejected_samples.items()):
        made, _ = golden.dead_letter(
            provider, (golden.samples_dir(provider) / f"{stem}.json").read_bytes()
        )
        if made != kind:
            failures.append(
                f"{provider.name}: {stem}.json dead-lettered as {made}, declared {kind}"
            )
    if failures:
        raise AssertionError("\n".join(failures))


def events_keep_the_contract(provider: Provider) -> None:
    """Every event the samples become reads back as its type (its JSON Schema), has its
    position at data.location, its times in UTC with Z and its subject by the VIN rule."""
    for sample in golden.event_samples(provider):
        for event in golden.canonical_events(provider, sample.read_bytes()):
            check_event(provider, event)


def invalid_samples_are_dead_lettered(provider: Provider) -> None:
    """Every `*.invalid.json` sample goes to the dead letters as invalid JSON, with a reason."""
    for sample in golden.invalid_samples(provider):
        kind, reason = golden.dead_letter(provider, sample.read_bytes())
        if kind != "invalid-json" or not reason:
            raise AssertionError(
                f"{provider.name}: {sample.name} dead-lettered as {kind!r} ({reason!r}); "
                "expected invalid-json with a reason"
            )


def pings_are_passed_over(provider: Provider) -> None:
    """Every `*.ping.json` sample (a test delivery, a heartbeat) becomes neither an event
    nor a dead letter: the processors count it and write nothing."""
    for sample in golden.ping_samples(provider):
        written = golden.transform(provider, sample.read_bytes())
        if written:
            kinds = [r.event_type or f"dead letter ({r.error_kind})" for r in written]
            raise AssertionError(
                f"{provider.name}: ping {sample.name} became {kinds}; a normalizer raises "
                "fleetwire.errors.Ping for a test delivery or heartbeat"
            )


def produces_what_it_declares(provider: Provider) -> None:
    """The declared `produces` (types and the provider events they come from) is what the
    golden files show, both ways."""
    seen = {(e["type"], e["providereventtype"]) for e in golden.golden_events(provider)}
    claimed = {(t, o.event) for t, origins in provider.origins().items() for o in origins}
    if seen - claimed:
        raise AssertionError(
            f"{provider.name}: golden files show (type, provider event) pairs it does not "
            f"declare in produces: {sorted(seen - claimed)}"
        )
    if claimed - seen:
        raise AssertionError(
            f"{provider.name}: declares (type, provider event) pairs no golden file shows: "
            f"{sorted(claimed - seen)}; add a sample or correct produces"
        )


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        has_samples_and_golden_files,
        samples_match_their_golden_files,
        events_keep_the_contract,
        produces_what_it_declares,
        invalid_samples_are_dead_lettered,
        pings_are_passed_over,
        hostile.non_json_is_dead_lettered,
        hostile.wrong_shape_is_dead_lettered,
        hostile.unknown_event_type_is_dead_lettered,
        delivery.same_delivery_same_ids,
        signing.signs_and_verifies_with_every_secret,
        signing.refuses_a_tampered_body,
        signing.refuses_a_wrong_secret,
        signing.refuses_a_missing_header,
        signing.keeps_its_replay_window,
        signing.only_ever_fails_authentication,
        delivery.ingress_refuses_with_its_status,
        delivery.retry_gets_the_same_raw_key_and_ids,
    )
}

__all__ = ["RULES", "NotApplicable", "Rule"]
