"""The study file, ``WS/study.yaml``."""
