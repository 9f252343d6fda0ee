"""Reusable widgets of the wizard (each carries its own scoped DEFAULT_CSS)."""
