"""The providers that ship with fleetwire, each registered under `fleetwire.providers` in
pyproject.toml like any plugin. A built-in provider is its verifier in ingress/, its
payload structs in schemas/, its normalizer in processors/, its samples and golden files
in tests/, and one declaration here.
"""

from __future__ import annotations

from pathlib import Path

from ingress.azuga import AzugaVerifier
from ingress.enode import EnodeVerifier
from ingress.motive import MotiveVerifier
from ingress.samsara import SamsaraVerifier
from ingress.smartcar import SmartcarVerifier
from ingress.telematica import TelematicaVerifier
from ingress.zf_scalar import ZfScalarVerifier
from ingress.zubie import ZubieVerifier
from processors import azuga, enode, geotab, motive, samsara, smartcar, telematica, zf_scalar, zubie
from providers.spec import Provider

# Samples and golden files live with the tests of a source checkout.
_SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "samples"
_GOLDEN = _SAMPLES.parent / "golden"


AZUGA = Provider(
    name="azuga",
    title="Azuga",
    scheme="HTTP Basic or a static API key header (no signature)",
    verifier=AzugaVerifier,
    normalizer=azuga.normalize,
    produces={
        "driver.vehicle.paired": (("VEHICLE_PAIRING", "`action` `Pair`"),),
        "driver.vehicle.unpaired": (("VEHICLE_PAIRING", "`action` `Unpair`"),),
    },
    test_credentials={"basic_auth": ("fleet:first-password", "fleet:second-password")},
    body_signed=False,
    samples=_SAMPLES / "azuga",
    golden=_GOLDEN / "azuga",
)

ZF_SCALAR = Provider(
    name="zf-scalar",
    title="ZF SCALAR",
    scheme="HMAC-SHA256 of the body, sha256=<hex or base64>",
    verifier=ZfScalarVerifier,
    normalizer=zf_scalar.normalize,
    produces={
        "device.paired": (("unit.paired", "`status` `success`, one event per batch item"),),
        "device.pairing_failed": (("unit.paired", "`status` `failed`, one event per batch item"),),
        "device.unpaired": (("unit.unpaired", "one event per batch item"),),
    },
    test_credentials={
        "secrets": ("zf-first-secret", "zf-second-secret"),
        "authorization": ("Bearer zf-portal-value",),
    },
    samples=_SAMPLES / "zf-scalar",
    golden=_GOLDEN / "zf-scalar",
)

TELEMATICA = Provider(
    name="telematica",
    title="Telematica",
    scheme="Svix / Standard Webhooks HMAC-SHA256, timestamped",
    verifier=TelematicaVerifier,
    normalizer=telematica.normalize,
    produces={
        "charger.command.completed": ("charger.charging-command",),
        "vehicle.command.completed": ("vehicle.charging-command",),
        "vehicle.charging.changed": ("vehicle.charging-status",),
        "vehicle.plug.changed": ("vehicle.plug-status",),
        "vehicle.battery.soc_reached": ("vehicle.soc",),
        "vehicle.connected": (("user.devices-connected", "one event per device"),),
        "vehicle.disconnected": (("user.devices-disconnected", "one event per device"),),
    },
    # Telematica's events carry no time; the processors read the signed timestamp.
    sample_headers={"svix-timestamp": "1761896350"},
    replay_window_s=5 * 60,
    test_credentials={
        "secrets": (
            "whsec_Zmlyc3QtdGVsZW1hdGljYS1zaWduaW5nLWtleQ==",
            "whsec_c2Vjb25kLXRlbGVtYXRpY2Etc2lnbmluZy1rZXk=",
        )
    },
    samples=_SAMPLES / "telematica",
    golden=_GOLDEN / "telematica",
)

ZUBIE = Provider(
    name="zubie",
    title="Zubie",
    scheme="base64 HMAC-SHA256 of the body in Zubie-Signature",
    verifier=ZubieVerifier,
    normalizer=zubie.normalize,
    produces={
        "vehicle.trip.started": ("trip_start",),
        "vehicle.trip.ended": ("trip_end",),
        "vehicle.trip.tagged": ("trip_tagged",),
        "driving.harsh_braking": (
            ("trip_hard_brake", "`data.severity` `normal`"),
            ("trip_severe_hard_brake", "`data.severity` `severe`"),
        ),
        "driving.rapid_acceleration": ("trip_rapid_accel",),
        "driving.speeding": ("trip_over_speeding",),
        "vehicle.schedule.violated": ("vehicle_schedule_exception",),
        "vehicle.location.updated": ("vehicle_location_update",),
        "vehicle.geofence.entered": ("vehicle_geofence_arrival",),
        "vehicle.geofence.exited": ("vehicle_geofence_departure",),
        "vehicle.dtc.detected": ("vehicle_trouble_code",),
        "vehicle.dtc.cleared": ("vehicle_trouble_code_cleared",),
        "vehicle.battery.low": ("vehicle_low_battery",),
        "vehicle.fuel.low": ("vehicle_fuel_low",),
        "vehicle.maintenance.due": ("vehicle_maintenance",),
        "device.activated": ("device_claim_success",),
        "device.unplugged": ("device_unplug",),
        "device.reconnected": ("device_reconnect",),
        "device.vehicle_changed": ("device_vehicle_change",),
    },
    test_credentials={"secrets": ("zubie-first-secret", "zubie-second-secret")},
    samples=_SAMPLES / "zubie",
    golden=_GOLDEN / "zubie",
)

SMARTCAR = Provider(
    name="smartcar",
    title="Smartcar",
    scheme="hex HMAC-SHA256 of the body in SC-Signature, VERIFY challenge",
    verifier=SmartcarVerifier,
    normalizer=smartcar.normalize,
    produces={
        "vehicle.connection.failed": (
            ("VEHICLE_ERROR", "error `state` `ERROR`, one event per error"),
        ),
        "vehicle.connection.restored": (
            ("VEHICLE_ERROR", "error `state` `RESOLVED`, one event per error"),
        ),
        "vehicle.state.reported": ("VEHICLE_STATE",),
    },
    test_credentials={"secrets": ("smartcar-first-token", "smartcar-second-token")},
    # A VERIFY is answered by the ingress; one that reaches the processors is no event.
    rejected_samples={
        "variant-verify-v4": "unsupported-event",
        "variant-verify-v2-legacy": "unsupported-event",
    },
    samples=_SAMPLES / "smartcar",
    golden=_GOLDEN / "smartcar",
)

GEOTAB = Provider(
    name="geotab",
    title="Geotab",
    scheme="pulled: MyGeotab GetFeed, a session per source (no webhooks)",
    normalizer=geotab.normalize,
    produces={
        "vehicle.location.updated": ("LogRecord",),
        "vehicle.dtc.detected": ("FaultData",),
        "vehicle.trip.ended": (("Trip", "one event per version of a trip"),),
        "driving.harsh_braking": (("ExceptionEvent", "rule `RuleHarshBrakingId`"),),
        "driving.rapid_acceleration": (("ExceptionEvent", "rule `RuleJackrabbitStartsId`"),),
        "driving.harsh_cornering": (("ExceptionEvent", "rule `RuleHarshCorneringId`"),),
        "driving.speeding": (("ExceptionEvent", "rule `RulePostedSpeedingId`"),),
        "device.updated": ("Device",),
    },
    samples=_SAMPLES / "geotab",
    golden=_GOLDEN / "geotab",
)

MOTIVE = Provider(
    name="motive",
    title="Motive",
    scheme="hex HMAC-SHA1 of the body in X-KT-Webhook-Signature, refused with 403",
    verifier=MotiveVerifier,
    normalizer=motive.normalize,
    produces={
        "vehicle.location.updated": (
            ("vehicle_location_updated", "one event per object of an array"),
            ("vehicle_location_received", "one event per object of an array"),
        ),
    },
    test_credentials={"secrets": ("motive-first-secret", "motive-second-secret")},
    samples=_SAMPLES / "motive",
    golden=_GOLDEN / "motive",
)

ENODE = Provider(
    name="enode",
    title="Enode",
    scheme="sha1=<hex HMAC-SHA1 of the body> in x-enode-signature",
    verifier=EnodeVerifier,
    normalizer=enode.normalize,
    produces={
        "vehicle.state.reported": (
            ("user:vehicle:updated", "one event per batch item, changed fields only"),
        ),
    },
    test_credentials={"secrets": ("enode-first-secret", "enode-second-secret")},
    samples=_SAMPLES / "enode",
    golden=_GOLDEN / "enode",
)

SAMSARA = Provider(
    name="samsara",
    title="Samsara",
    scheme="v1=<hex HMAC-SHA256> of v1:{timestamp}:{body}, base64 secret, timestamped",
    verifier=SamsaraVerifier,
    normalizer=samsara.normalize,
    produces={
        "vehicle.dtc.detected": (("EngineFaultOn", "one event per code system in the fault"),),
        "vehicle.dtc.cleared": (("EngineFaultOff", "one event per code system in the fault"),),
        "vehicle.geofence.entered": ("GeofenceEntry",),
        "vehicle.geofence.exited": ("GeofenceExit",),
        "driving.speeding": (
            (
                "SpeedingEventStarted",
                "`data.severity` `severe` if `severityLevel` is, else `normal`",
            ),
            ("SevereSpeedingStarted", "`data.severity` `severe`"),
        ),
        "device.unplugged": ("GatewayUnplugged",),
    },
    # The published examples' eventTime is 1970; the processors fall back to the signed
    # send time.
    sample_headers={"x-samsara-timestamp": "1761896350"},
    replay_window_s=5 * 60,
    test_credentials={"secrets": ("c2Ftc2FyYS1maXJzdC1zZWNyZXQ=", "c2Ftc2FyYS1zZWNvbmQtc2VjcmV0")},
    samples=_SAMPLES / "samsara",
    golden=_GOLDEN / "samsara",
)
