"""Loopback emulators of GKE, Service Usage and the Kubernetes API (demo and tests)."""
