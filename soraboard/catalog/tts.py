"""Text-to-speech prices for the voice-over (per character of input, as TTS is billed).

The data is ``tts_models.json`` beside this module: each model's list price with its source
and date. A model that is not listed, or whose price is not per character, is *unknown*: an
estimate says so and never counts it as $0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class TtsPrice:
    model: str
    usd_per_character: Decimal | None  #: None: not known (or not billed per character)
    source: str = ""
    date: str = ""

    def cost(self, characters: int) -> Decimal | None:
        """What ``characters`` of input cost; None when the price is unknown (and there is
        something to say: nothing costs nothing)."""
        if characters == 0:
            return Decimal(0)
        if self.usd_per_character is None:
            return None
        return self.usd_per_character * characters

    @property
    def label(self) -> str:
        """Where the price comes from, for the user: 'source, date' or 'not in the catalog'."""
        if not self.source:
            return f"{self.model}: price not in the catalog"
        return f"{self.source} ({self.date})" if self.date else self.source


@cache
def _table() -> dict[str, TtsPrice]:
    text = resources.files("soraboard.catalog").joinpath("tts_models.json").read_text("utf-8")
    out: dict[str, TtsPrice] = {}
    for d in json.loads(text)["tts_models"]:
        raw = d.get("usd_per_character")
        try:
            price = None if raw is None else Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"tts_models.json: {d.get('id')}: bad price {raw!r}") from None
        out[d["id"]] = TtsPrice(d["id"], price, d.get("price_source", ""),
                                d.get("price_date", ""))
    return out


def tts_price(model: str) -> TtsPrice:
    """The catalog's price of ``model`` (``openai/tts-1`` is ``tts-1``); unknown when absent."""
    table = _table()
    name = model.strip()
    for candidate in (name, name.removeprefix("openai/")):
        if candidate in table:
            return table[candidate]
    return TtsPrice(name, None)
