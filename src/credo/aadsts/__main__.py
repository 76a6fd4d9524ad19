"""Print ``docs/errors.md``: ``python -m credo.aadsts > docs/errors.md``."""

from credo.aadsts import markdown

print(markdown(), end="")
