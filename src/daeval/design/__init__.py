"""Evaluation design: recruitment projection, minimum detectable effects and sample size,
randomisation, and which design fits a site's numbers."""
