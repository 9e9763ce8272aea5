"""Ingest: the safe front door. Readers per format, validation with quarantine, pseudonymisation."""
