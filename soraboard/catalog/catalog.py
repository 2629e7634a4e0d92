"""Model capabilities and prices, as data.

The built-in catalog ships in the package (``models.json``). A user file of the same shape in
the config directory adds models or overrides any field of a built-in one (fields are merged,
so ``{"id": "sora-2", "prices": [...]}`` changes only the prices). A price that is not known is
``None`` — shown as "unknown", never counted as zero.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from soraboard import paths


class CatalogError(ValueError):
    """A catalog file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class PriceTier:
    sizes: frozenset[str]
    usd_per_second: Decimal


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    family: str
    rank: int  #: quality rank inside the family; higher is better
    durations: tuple[float, ...]
    sizes: tuple[str, ...]
    prices: tuple[PriceTier, ...]
    price_source: str = ""
    price_date: str = ""
    first_frame: bool = True  #: takes a still to start on (at exactly the clip's size)
    last_frame: bool = False  #: takes a still to end on (at exactly the clip's size)
    reference_images: int = 0  #: images of people, props or places it takes besides
    reference_kinds: tuple[str, ...] = ()  #: what those may show ("asset", "subject" …)
    audio: bool = False
    remix: bool = False
    retired: str | None = None  #: ISO date the provider retired the model upstream
    retired_note: str = ""
    prompt_max_chars: int | None = None
    note: str = ""
    #: seconds a job usually takes from create to finished (paces the polls; None = unknown)
    typical_latency: float | None = None
    #: where ``typical_latency`` comes from (a measurement, a vendor page)
    latency_source: str = ""
    #: ``typical_latency`` is a guess (the catalog says so: ``typical_latency_estimate``)
    latency_estimate: bool = False
    #: the upstream provider a LiteLLM proxy routes this model to, as LiteLLM names it
    #: ("vertex_ai", "fal_ai" …); empty: read from the id's prefix (``vertex_ai/veo-…``)
    litellm_route: str = ""
    #: the upstream's own field names LiteLLM passes through as they are (fal.ai models
    #: differ): ("last_frame", "end_image_url"), ("references", "image_urls")
    litellm_fields: tuple[tuple[str, str], ...] = ()

    @property
    def latency_is_estimate(self) -> bool:
        """True when no measurement or published figure backs ``typical_latency``."""
        return self.latency_estimate or not self.latency_source

    def allows_duration(self, seconds: float) -> bool:
        return any(abs(seconds - d) < 1e-9 for d in self.durations)

    def allows_size(self, size: str) -> bool:
        return size in self.sizes

    def price_per_second(self, size: str) -> Decimal | None:
        for tier in self.prices:
            if size in tier.sizes:
                return tier.usd_per_second
        return None

    def durations_text(self) -> str:
        return _or_list([f"{d:g}" for d in self.durations]) + " s"

    def label(self) -> str:
        return f"{self.id} (retired {self.retired})" if self.retired else self.id


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def parse_size(size: str) -> tuple[int, int]:
    """``"1280x720"`` → ``(1280, 720)``; raises ValueError for anything else."""
    w, sep, h = size.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) <= 0 or int(h) <= 0:
        raise ValueError(f"size {size!r} is not WIDTHxHEIGHT")
    return int(w), int(h)


def _spec_from_dict(d: Mapping[str, Any], where: str) -> ModelSpec:
    def req(key: str, typ: type | tuple[type, ...]) -> Any:
        if key not in d:
            raise CatalogError(f"{where}: missing field {key!r}")
        value = d[key]
        if not isinstance(value, typ) or (isinstance(value, bool) and typ in (int, float)):
            raise CatalogError(f"{where}: field {key!r} has the wrong type")
        return value

    def opt(key: str, typ: type | tuple[type, ...], default: Any) -> Any:
        return req(key, typ) if d.get(key) is not None else default

    model_id = req("id", str)
    durations = req("durations", list)
    if not durations or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                and x > 0 for x in durations):
        raise CatalogError(f"{where}: 'durations' must be a list of positive numbers")
    sizes = req("sizes", list)
    for s in sizes:
        try:
            parse_size(s if isinstance(s, str) else "")
        except ValueError:
            raise CatalogError(f"{where}: size {s!r} is not WIDTHxHEIGHT") from None
    tiers = []
    for n, p in enumerate(opt("prices", list, [])):
        if not isinstance(p, dict) or not isinstance(p.get("sizes"), list):
            raise CatalogError(f"{where}: prices[{n}] needs 'sizes' and 'usd_per_second'")
        try:
            rate = Decimal(str(p.get("usd_per_second")))
        except InvalidOperation:
            raise CatalogError(f"{where}: prices[{n}].usd_per_second is not a number") from None
        if not rate.is_finite() or rate < 0:
            raise CatalogError(f"{where}: prices[{n}].usd_per_second must be 0 or more")
        tiers.append(PriceTier(frozenset(str(s) for s in p["sizes"]), rate))
    return ModelSpec(
        id=model_id,
        name=opt("name", str, model_id),
        family=opt("family", str, model_id),
        rank=opt("rank", int, 1),
        durations=tuple(float(x) for x in durations),
        sizes=tuple(sizes),
        prices=tuple(tiers),
        price_source=opt("price_source", str, ""),
        price_date=opt("price_date", str, ""),
        first_frame=opt("first_frame", bool, True),
        last_frame=opt("last_frame", bool, False),
        reference_images=_count(opt("reference_images", int, 0), "reference_images", where),
        reference_kinds=tuple(_strings(opt("reference_kinds", list, []), "reference_kinds",
                                       where)),
        audio=opt("audio", bool, False),
        remix=opt("remix", bool, False),
        retired=opt("retired", str, None),
        retired_note=opt("retired_note", str, ""),
        prompt_max_chars=opt("prompt_max_chars", int, None),
        note=opt("note", str, ""),
        typical_latency=_positive(opt("typical_latency", (int, float), None),
                                  "typical_latency", where),
        latency_source=opt("latency_source", str, ""),
        latency_estimate=opt("typical_latency_estimate", bool, False),
        litellm_route=opt("litellm_route", str, ""),
        litellm_fields=_fields(opt("litellm_fields", dict, {}), where),
    )


def _fields(value: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    known = ("last_frame", "references")
    for key, name in value.items():
        if key not in known or not isinstance(name, str) or not name:
            raise CatalogError(f"{where}: litellm_fields takes {' and '.join(known)}, each "
                               f"the upstream's field name (got {key!r}: {name!r})")
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _count(value: int, key: str, where: str) -> int:
    if value < 0:
        raise CatalogError(f"{where}: {key!r} must be 0 or more")
    return value


def _strings(value: list[Any], key: str, where: str) -> list[str]:
    if not all(isinstance(v, str) and v for v in value):
        raise CatalogError(f"{where}: {key!r} must be a list of words")
    return value


def _positive(value: Any, key: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or value <= 0:
        raise CatalogError(f"{where}: {key!r} must be a positive number")
    return float(value)


def _short_source(source: str) -> str:
    """A source as a line of UI text: who says it (the text before its first parenthesis or
    colon) and, when it cites one, the vendor page (its last URL)."""
    who = re.split(r"[(:]", source, maxsplit=1)[0].strip().rstrip(",")
    urls = re.findall(r"https?://\S+", source)
    page = urls[-1].rstrip(".,;)") if urls else ""
    if page and page not in who:
        return f"{who}, citing {page}" if who else page
    return who or source


@dataclass(frozen=True)
class ImageModelSpec:
    """An image model for keyframe stills: its list price per image (None = unknown).

    ``price_source`` names where the price was read (a URL or a file of a repository at a
    commit) and ``price_date`` when; ``price_estimate`` says no such source was found, so the
    figure is a guess and is shown as one ("about", "estimate")."""

    id: str
    name: str
    usd_per_image: Decimal | None
    sizes: tuple[str, ...] = ()  #: what it may be asked for (empty = any)
    reference_images: int = 0  #: images an edit may take with the prompt
    price_source: str = ""
    price_date: str = ""
    price_estimate: bool = False
    #: seconds one image usually takes (None = unknown); ``latency_source`` says from where
    typical_latency: float | None = None
    latency_source: str = ""
    #: the ``quality`` every request asks for ("" = none sent): the price is that quality's,
    #: and a model's default ("auto") may bill a dearer one
    quality: str = ""

    def price_wording(self) -> str:
        """How the UI cites the price: the source and its date, or that it is an estimate."""
        if self.usd_per_image is None:
            return "no known price"
        if self.price_estimate or not self.price_source:
            when = f", {self.price_date}" if self.price_date else ""
            return f"an estimate, no published price found{when}"
        return f"list price from {_short_source(self.price_source)}, as of {self.price_date}"

    def nearest_size(self, width: int, height: int) -> str | None:
        """The allowed size whose shape is nearest ``width``×``height`` (the still is then
        cropped to it); None when the model takes any size."""
        if not self.sizes:
            return None

        def score(size: str) -> tuple[float, int]:
            w, h = parse_size(size)
            return abs(w / h - width / height), -(w * h)

        return min(self.sizes, key=score)


def _image_spec_from_dict(d: Mapping[str, Any], where: str) -> ImageModelSpec:
    model_id = d.get("id")
    if not isinstance(model_id, str) or not model_id:
        raise CatalogError(f"{where}: missing field 'id'")
    price: Decimal | None = None
    if d.get("usd_per_image") is not None:
        try:
            price = Decimal(str(d["usd_per_image"]))
        except InvalidOperation:
            raise CatalogError(f"{where}: usd_per_image is not a number") from None
        if not price.is_finite() or price < 0:
            raise CatalogError(f"{where}: usd_per_image must be 0 or more")
    sizes = d.get("sizes") or []
    if not isinstance(sizes, list):
        raise CatalogError(f"{where}: 'sizes' must be a list")
    for size in sizes:
        try:
            parse_size(size if isinstance(size, str) else "")
        except ValueError:
            raise CatalogError(f"{where}: size {size!r} is not WIDTHxHEIGHT") from None
    refs = d.get("reference_images", 0)
    if isinstance(refs, bool) or not isinstance(refs, int) or refs < 0:
        raise CatalogError(f"{where}: 'reference_images' must be 0 or more")
    estimate = d.get("price_estimate", False)
    if not isinstance(estimate, bool):
        raise CatalogError(f"{where}: 'price_estimate' must be true or false")
    return ImageModelSpec(model_id, str(d.get("name") or model_id), price, tuple(sizes), refs,
                          str(d.get("price_source") or ""), str(d.get("price_date") or ""),
                          estimate,
                          _positive(d.get("typical_latency"), "typical_latency", where),
                          str(d.get("latency_source") or ""), str(d.get("quality") or ""))


def _read_entries(text: str, source: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}"
        raise CatalogError(f"{source}: not valid JSON ({where})") from None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
        raise CatalogError(f"{source}: expected {{\"models\": [ {{...}}, ... ]}}")
    for n, m in enumerate(models):
        if not isinstance(m.get("id"), str) or not m["id"]:
            raise CatalogError(f"{source}: models[{n}] has no 'id'")
    return models


#: The model new projects, the planner and the first-run demo start on: current (not
#: retired), the price of the model it replaces, and the 1280x720 / 4–8 s shape most guides
#: write for. ``Storyboard`` and ``Settings`` repeat this id (the model layer may not import
#: the catalog); tests/catalog keeps them equal.
DEFAULT_MODEL = "vertex_ai/veo-3.1-fast-generate-001"


class Catalog(Mapping[str, ModelSpec]):
    """Read-only mapping of model id → :class:`ModelSpec`, in catalog order."""

    def __init__(self, specs: list[ModelSpec],
                 images: list[ImageModelSpec] | None = None) -> None:
        self._specs = {s.id: s for s in specs}
        #: image models (for keyframe stills), by id
        self.images: dict[str, ImageModelSpec] = {i.id: i for i in images or []}
        #: model id → why the provider's request dialect carries less than the model takes
        #: (set by :meth:`for_dialect`)
        self.limits: dict[str, str] = {}
        self.dialect: str | None = None

    def for_dialect(self, dialect: str | None) -> Catalog:
        """This catalog as a provider speaking ``dialect`` can use it: each model's first
        frame, last frame and reference images narrowed to what the request can carry
        (:mod:`soraboard.catalog.dialects`). ``None`` (the animatic) changes nothing."""
        from soraboard.catalog.dialects import carriage, narrowed

        if dialect is None:
            return self
        specs = [narrowed(s, dialect) for s in self._specs.values()]
        out = Catalog(specs, list(self.images.values()))
        out.dialect = dialect
        for old, new in zip(self._specs.values(), specs, strict=True):
            if new is not old:
                out.limits[old.id] = carriage(dialect, old).why
        return out

    def __getitem__(self, key: str) -> ModelSpec:
        return self._specs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def price_per_second(self, model: str, size: str) -> Decimal | None:
        spec = self._specs.get(model)
        return None if spec is None else spec.price_per_second(size)

    def current_model(self, preferred: str | None = None) -> str:
        """A model to start new work on: ``preferred`` when the catalog has it and it is not
        retired, else :data:`DEFAULT_MODEL`, else the first current model in catalog order."""
        for mid in (preferred, DEFAULT_MODEL):
            spec = self._specs.get(mid or "")
            if spec is not None and not spec.retired:
                return spec.id
        current = [s.id for s in self._specs.values() if not s.retired]
        return current[0] if current else next(iter(self._specs), DEFAULT_MODEL)

    def family(self, family: str) -> list[ModelSpec]:
        return [s for s in self._specs.values() if s.family == family]

    @classmethod
    def builtin_entries(cls) -> list[dict[str, Any]]:
        text = resources.files("soraboard.catalog").joinpath("models.json").read_text("utf-8")
        return _read_entries(text, "built-in models.json")

    @staticmethod
    def _image_entries(text: str, source: str) -> list[dict[str, Any]]:
        data = json.loads(text)
        items = data.get("image_models", []) if isinstance(data, dict) else []
        if not isinstance(items, list) or not all(isinstance(m, dict) for m in items):
            raise CatalogError(f"{source}: 'image_models' must be a list of {{...}}")
        return items

    @classmethod
    def load(cls, user_file: Path | None = None, *, use_user_file: bool = True) -> Catalog:
        """The built-in catalog merged with the user's ``models.json`` (if present)."""
        entries = {e["id"]: dict(e) for e in cls.builtin_entries()}
        builtin = resources.files("soraboard.catalog").joinpath("models.json").read_text("utf-8")
        images = {str(e.get("id")): dict(e)
                  for e in cls._image_entries(builtin, "built-in models.json")}
        if use_user_file:
            path = user_file or paths.user_catalog_file()
            if path.exists():
                try:
                    text = path.read_text("utf-8")
                except (OSError, UnicodeDecodeError) as err:
                    raise CatalogError(f"{path}: cannot read ({err})") from None
                for entry in _read_entries(text, str(path)):
                    entries[entry["id"]] = {**entries.get(entry["id"], {}), **entry}
                for entry in cls._image_entries(text, str(path)):
                    key = str(entry.get("id"))
                    images[key] = {**images.get(key, {}), **entry}
        specs = []
        for n, (mid, entry) in enumerate(entries.items()):
            specs.append(_spec_from_dict(entry, f"models.json: model {mid!r} (entry {n + 1})"))
        image_specs = [_image_spec_from_dict(e, f"models.json: image model {iid!r}")
                       for iid, e in images.items()]
        return cls(specs, image_specs)


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    """The catalog for this process (built-in + user file), loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalog.load()
    return _DEFAULT


def reset_default_catalog() -> None:
    """Forget the cached catalog (after the user edits models.json; in tests)."""
    global _DEFAULT
    _DEFAULT = None
