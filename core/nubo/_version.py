"""The version of the ``nubo`` core distribution."""

#: The release of the core, as its distribution metadata gives it.
__version__ = "0.1.0"
