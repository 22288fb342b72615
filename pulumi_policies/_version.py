"""The package's version: setup.py reads it, and every resource's state records it (``engine_state.WRITTEN_BY``)."""

__version__ = "0.2.0"
