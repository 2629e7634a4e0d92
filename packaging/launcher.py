"""Entry point of the frozen app: the same as the ``soraboard`` console script."""

from soraboard.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
