"""The authorization endpoint: the pipeline (``flow``) and the values it decides (``outcomes``)."""
