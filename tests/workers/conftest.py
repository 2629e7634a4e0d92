"""The generation tests' test model, for the worker tests too (the same autouse fixture)."""

from tests.generation.conftest import test_catalog

__all__ = ["test_catalog"]
