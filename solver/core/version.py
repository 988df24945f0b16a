"""The package version: the one place it is written (pyproject.toml reads it from here).

The distribution on PyPI is ``sprout-wlp``; the command is ``sprout``."""

__version__ = "0.1.0"
DISTRIBUTION = "sprout-wlp"
