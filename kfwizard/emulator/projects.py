"""Project numbers for emulated projects.

Google answers with the project *number* in many places (Service Usage names,
``consumer`` in ErrorInfo, GKE selfLinks, "API has not been used in project 1234...").
The emulators derive a stable 12-digit number from the project id so those answers look
and behave like real ones, and stay the same across restarts.
"""

from __future__ import annotations

import hashlib


def project_number(project_id: str) -> str:
    digest = int(hashlib.sha256(project_id.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)
