"""The REST face of the kit: ingest, train, predict, simulate, experiments and analysis.

Build the application with :func:`create_app` (settings from ``GRAMABM_*`` environment variables
by default) and serve it with ``gramabm serve``. Routes hold no logic of their own: each parses
its input, calls the package function the CLI calls, and presents the result.
"""

from gramabm.api.app import create_app
from gramabm.api.settings import Settings

__all__ = ["Settings", "create_app"]
