"""Errors the store raises; each message says what to do next."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base class for store failures."""


class StoreUnavailable(StoreError):
    """The MongoDB server cannot be reached (at start, or after all retries)."""


class EmbeddedUnavailable(StoreError):
    """The embedded server (SecantusDB) is not installed or did not start."""


class StoreLocked(StoreError):
    """Another process is already serving the same data directory."""
