"""HTML reports and plots."""

from deepcausal.report._html import Report

__all__ = ["Report"]
