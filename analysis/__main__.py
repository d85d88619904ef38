"""``python -m analysis``: see :mod:`analysis.figures.cli`."""

from analysis.figures.cli import app, main

__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
