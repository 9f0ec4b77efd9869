"""The ticket desk's HTTP API (``jemput api``): analysts, operators, Open311 GeoReport v2 and the public page."""

from sink.api.app import create_app

__all__ = ["create_app"]
