"""kommunetest: mystery-shopper tests of public service quality in Norwegian municipalities."""

__version__ = "0.1.0"
