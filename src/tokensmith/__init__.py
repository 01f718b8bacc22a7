"""Tokensmith: OAuth 2.0 access token management and a WS-Trust STS.

The admin API follows PingFederate's wire format so that existing automation keeps working.
"""

__version__ = "0.1.0"
