"""daeval: the evidence base for what works for children and families affected by domestic abuse."""

__version__ = "0.1.0"
