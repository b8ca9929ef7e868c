"""End-to-end jobs built on the public API (the demo)."""
