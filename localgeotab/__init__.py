"""A local MyGeotab server for development, tests and benchmarks (it stands in for Geotab only).

    from localgeotab import Fleet, MyGeotab
    server = MyGeotab(Fleet(devices=3, entities=500))
    app = server.app()      # an aiohttp application answering POST /apiv1

`python -m localgeotab` runs one on a port (deploy/local/run.sh uses it for GEOTAB=demo).
"""

from localgeotab.fleet import FEEDS, Fleet
from localgeotab.server import Credentials, MyGeotab

__all__ = ["FEEDS", "Credentials", "Fleet", "MyGeotab"]
