"""The pure protocol core: parsing, client authentication, grants, claims, discovery.

See ``README.md`` in this folder for the purity rule.
"""
