"""Linkage: one person across police, children's social care and services (Splink)."""
