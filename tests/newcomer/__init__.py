"""A newcomer's path: the quick start, the demo's pace, keyboard-only use."""
