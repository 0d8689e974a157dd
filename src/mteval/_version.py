"""The package version (single source of truth for code and records)."""

__version__ = "0.1.0"
