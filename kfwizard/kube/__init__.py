"""Talking to the Kubernetes API with the official client: apply, wait, diagnose, verify.

Nothing here imports Textual or the engine's steps; the heavy ``kubernetes`` package is
imported inside functions so that importing this package costs nothing at start-up.
"""
