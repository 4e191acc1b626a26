"""Reusable widgets shared by every page."""
