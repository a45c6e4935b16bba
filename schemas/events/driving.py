"""Driving behaviour: harsh braking, rapid acceleration, speeding, schedule violations."""

from __future__ import annotations

from typing import Literal

from schemas.canonical import Canonical
from schemas.events.common import TripPoint, VehicleStatusData
from schemas.events.trips import Trip


class DrivingEventData(VehicleStatusData, frozen=True, kw_only=True):
    """A driving event: the trip point where it happened and the trip so far."""

    point: TripPoint | None = None
    trip: Trip | None = None


class HarshBraking(DrivingEventData, frozen=True, kw_only=True):
    """driving.harsh_braking: `severity` is `severe` for the provider's severe class."""

    severity: Literal["normal", "severe"]


class RapidAcceleration(DrivingEventData, frozen=True, kw_only=True):
    """driving.rapid_acceleration."""


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
