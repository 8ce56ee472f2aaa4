"""finews: Chinese financial news into MongoDB."""

from __future__ import annotations


def version() -> str:
    """The installed distribution's version (what `finews --version` prints)."""
    from importlib import metadata

    try:
        return metadata.version("finews")
    except metadata.PackageNotFoundError:
        return "0+unknown"
