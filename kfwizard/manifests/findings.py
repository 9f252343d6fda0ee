"""What a judgement produces: a refusal (cannot work, nothing is touched) or an advisory
(will install, but behave differently than people expect)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """An impossible combination, refused before anything is created."""

    rule: str
    reason: str
    suggestion: str

    def message(self) -> str:
        return f"{self.reason} {self.suggestion}"

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason, "suggestion": self.suggestion}


@dataclass(frozen=True)
class Advisory:
    """Something that will install but behave differently than people expect."""

    rule: str
    reason: str
    suggestion: str

    def message(self) -> str:
        return f"{self.reason} {self.suggestion}".strip()

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason, "suggestion": self.suggestion}
