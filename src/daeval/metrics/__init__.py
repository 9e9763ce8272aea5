"""Measures: each figure of the data contract as an engine-portable (Ibis) expression."""
