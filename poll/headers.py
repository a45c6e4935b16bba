"""The headers of a raw record written by a poller (one feed entity per record).

The first five are the ingress's own (processors read them the same way whichever way a
record arrived); the `geotab-*` ones carry what the normalizer cannot find in the body.
"""

SOURCE = "fleetwire-source"
PROVIDER = "fleetwire-provider"
RECEIVED_AT = "fleetwire-received-at"  # RFC 3339 UTC with milliseconds (ingress.timestamps)
REQUEST_ID = "fleetwire-request-id"
CONTENT_TYPE = "content-type"
JSON = b"application/json"
GEOTAB_TYPE = "geotab-type"  # the feed's typeName: Device, LogRecord, ...
# The VIN of the entity's device (`device.id` in the poller's Device cache); absent when
# unknown, and on Device entities, whose VIN is in the body.
GEOTAB_DEVICE_VIN = "geotab-device-vin"
