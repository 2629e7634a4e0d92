"""Demo storyboards shipped with the package, addressed by id."""

from __future__ import annotations

import json
from importlib import resources

from soraboard.model.storyboard import Storyboard
from soraboard.storage.codec import storyboard_from
from soraboard.storage.migrations import migrate

#: id → title and description, in the order the app offers them (the first is the first-run
#: demo: it must be on a current model)
DEMOS: dict[str, str] = {
    "goal": "Goal! — a football goal in five chained 8-second parts",
    "mountain-road": "Mountain road — three chained 8-second shots",
    "city-morning": "City morning — the seed guide's 60-second film, five 12-second shots on "
                    "sora-2 and sora-2-pro, reproducing its 2025 prices ($10.80; both models "
                    "are retired)",
}


class UnknownDemoError(KeyError):
    def __str__(self) -> str:
        return f"no demo called {self.args[0]!r}; the demos are: {', '.join(DEMOS)}"


def load_demo(name: str) -> Storyboard:
    if name not in DEMOS:
        raise UnknownDemoError(name)
    text = resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8")
    return storyboard_from(migrate(json.loads(text))["storyboard"])
