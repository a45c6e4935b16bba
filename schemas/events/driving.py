"""Driving behaviour: harsh braking, rapid acceleration, harsh cornering, speeding,
schedule violations."""

from __future__ import annotations

from typing import Literal

from schemas.canonical import Canonical
from schemas.events.common import TripPoint, VehicleStatusData
from schemas.events.trips import Trip


class Episode(Canonical, frozen=True, kw_only=True):
    """The span over which the provider saw the behaviour, where it reports one.

    Times are RFC 3339 UTC; `ended_at` is null while the episode is open. `rule_id` is
    the provider's id of the rule that was broken, `provider_event_id` its id of this
    episode, `state` its state as written (Geotab: an ExceptionEvent's id, rule and state).
    """

    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    distance_km: float | None = None
    rule_id: str | None = None
    provider_event_id: str | None = None
    state: str | None = None


class DrivingEventData(VehicleStatusData, frozen=True, kw_only=True):
    """A driving event: the trip point where it happened, the trip so far, the episode."""

    point: TripPoint | None = None
    trip: Trip | None = None
    episode: Episode | None = None


class HarshBraking(DrivingEventData, frozen=True, kw_only=True):
    """driving.harsh_braking: `severity` is `severe` for the provider's severe class."""

    severity: Literal["normal", "severe"]


class RapidAcceleration(DrivingEventData, frozen=True, kw_only=True):
    """driving.rapid_acceleration."""


class HarshCornering(DrivingEventData, frozen=True, kw_only=True):
    """driving.harsh_cornering."""


class Speeding(DrivingEventData, frozen=True, kw_only=True):
    """driving.speeding: the speed reached is `point.speed_kmh`.

    `severity` is `severe` for the provider's severe class, `normal` for its others, and
    null where the provider does not grade speeding.
    """

    severity: Literal["normal", "severe"] | None = None


class Schedule(Canonical, frozen=True, kw_only=True):
    """The usage schedule that was broken, as the provider names it."""

    name: str | None = None
    category: str | None = None


class ScheduleViolation(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.schedule.violated: the vehicle was used outside its allowed schedule."""

    schedule: Schedule
    trip: Trip | None = None
