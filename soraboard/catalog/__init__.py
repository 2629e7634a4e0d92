"""Model capabilities, prices and the cost estimator: pure Python, data in the package."""

from soraboard.catalog.catalog import (
    Catalog,
    CatalogError,
    ModelSpec,
    default_catalog,
    parse_size,
    reset_default_catalog,
)
from soraboard.catalog.cost import (
    Amount,
    CostReport,
    RegenerateCost,
    estimate,
    fmt_usd,
    regenerate_cost,
    segment_cost,
)
from soraboard.catalog.validate import Problem, Severity, errors, validate

__all__ = [
    "Amount",
    "Catalog",
    "CatalogError",
    "CostReport",
    "ModelSpec",
    "Problem",
    "RegenerateCost",
    "Severity",
    "default_catalog",
    "errors",
    "estimate",
    "fmt_usd",
    "parse_size",
    "regenerate_cost",
    "reset_default_catalog",
    "segment_cost",
    "validate",
]
