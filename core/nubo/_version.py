"""The version of the ``nubo`` core distribution."""

__version__ = "0.1.0"
