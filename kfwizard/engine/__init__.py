"""The install engine: steps, plans, the runner and its events. Never imports Textual."""
