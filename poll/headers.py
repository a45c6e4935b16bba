"""The headers of a raw record written by a poller (one feed entity per record).

The first five are the envelope's (fleetwire.envelope): processors read them the same way
whichever way a record arrived. The `geotab-*` ones carry what the normalizer
(processors/geotab.py) cannot find in the body.
"""

from fleetwire.envelope import CONTENT_TYPE, PROVIDER, RECEIVED_AT, REQUEST_ID, SOURCE

__all__ = [
    "CONTENT_TYPE",
    "GEOTAB_DEVICE_VIN",
    "GEOTAB_TYPE",
    "JSON",
    "PROVIDER",
    "RECEIVED_AT",
    "REQUEST_ID",
    "SOURCE",
]

JSON = b"application/json"
GEOTAB_TYPE = "geotab-type"  # the feed's typeName: Device, LogRecord, ...
# The VIN of the entity's device (`device.id` in the poller's Device cache); absent when
# unknown, and on Device entities, whose VIN is in the body.
GEOTAB_DEVICE_VIN = "geotab-device-vin"
