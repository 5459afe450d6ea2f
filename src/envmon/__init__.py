"""envmon: pollution-source, road particulate and ambient air monitoring on one store."""

__version__ = "0.1.0"
