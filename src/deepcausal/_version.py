"""The package version, read by saved models and the CLI."""

__version__ = "0.1.0"
