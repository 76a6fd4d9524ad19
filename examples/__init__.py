"""Credo's examples: a Graph-shaped mail API protected by ``credo.resource``, the app-only
daemon that reads it, and the ``make demo`` driver that runs the whole story.

Run them from the repository root (``python -m examples.demo``); see ``examples/README.md``.
"""
