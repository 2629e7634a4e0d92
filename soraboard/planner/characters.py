"""Finding the story's recurring characters and a one-line look for each.

A video model draws a new person every time unless every prompt describes the same one the
same way, so the planner puts each recurring character in the style bible once and the
composer repeats that description verbatim. Names are found by recurrence (capitalised words
that come back, Fountain character cues); when a story names nobody ("a player in a red
jersey … the player shoots"), a recurring role noun stands in for a name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from soraboard.planner.beats import split_sentences
from soraboard.planner.story import ElementKind, Story


def _words(text: str) -> frozenset[str]:
    """A word list written as one string: easier to read and extend than a list literal."""
    return frozenset(text.split())


_STOP = _words(
    "A An The And But Or So Then Now When While As At In On Of To From With Without Into "
    "Onto Over Under After Before Behind Beside Between By For If It Its It's He She They "
    "We You I His Her Their Our My Your This That These Those There Here What Who Why How "
    "Where Which Yes No Not Just Only Still Even Once Later Meanwhile Outside Inside Across "
    "Somewhere Everyone Everything Nothing Someone Something Nobody All Some One Two Three "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
    "May June July August September October November December God Oh Okay OK Hey Sir Madam "
    "Mum Mom Dad Interior Exterior Camera Close Wide Shot Opening Focus Continue Segment "
    "Scene Cut Fade INT EXT Chapter Part Morning Night Evening Dawn Dusk Day Afternoon Hello "
    "Thanks Thank Please Sorry Well Look Come Go Stop Wait Again Above Below Around Through "
    "Every Each Both Another Other Most Many Much More Less Few Before Until Unless Because "
    "Although Though Perhaps Maybe Suddenly Finally First Last Next Soon Never Always"
)
_TITLES = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Captain", "Officer", "Aunt", "Uncle",
           "Grandma", "Grandpa", "Sister", "Brother", "Father", "Mother", "Detective")
_PLACE_PREP = re.compile(r"\b(?:in|at|to|from|into|near|across|toward|towards|through)\s+$",
                         re.IGNORECASE)
ROLES = ("player", "striker", "goalkeeper", "keeper", "defender", "referee", "coach", "barista",
         "customer", "woman", "man", "girl", "boy", "child", "driver", "detective", "officer",
         "soldier", "pilot", "dancer", "runner", "cyclist", "chef", "waiter", "waitress",
         "doctor", "nurse", "teacher", "student", "robot", "astronaut", "fisherman", "farmer",
         "old man", "old woman", "stranger", "courier", "musician", "singer", "guitarist",
         "skater", "surfer", "climber", "hiker", "dog", "cat", "fox", "horse", "knight",
         "wizard", "princess", "king", "queen", "captain", "sailor", "photographer")
_CLOTHES = ("coat", "jacket", "raincoat", "scarf", "hat", "cap", "dress", "shirt", "jersey",
            "boots", "shoes", "sneakers", "hair", "beard", "glasses", "apron", "uniform",
            "gloves", "hood", "hoodie", "suit", "tie", "backpack", "bag", "umbrella", "braid",
            "braids", "ponytail", "helmet", "sweater", "jumper", "cardigan", "overalls", "vest")


@dataclass(frozen=True)
class FoundCharacter:
    name: str
    description: str
    mentions: int
    described: bool  #: False when the story gave no look and a neutral line stands in


def _name_candidates(sentences: list[str]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    total: Counter[str] = Counter()
    mid: Counter[str] = Counter()
    place: Counter[str] = Counter()
    title_alt = "|".join(re.escape(t) for t in _TITLES)
    rx = re.compile(r"\b(?:(?:" + title_alt + r")\s+)?[A-Z][a-z][a-zA-Z'’-]*(?:\s+[A-Z][a-z]+)?")
    for sentence in sentences:
        # words inside quotes are speech ("Lost my hat."), not names
        # (kept as filler, so a name right after a quote still counts as mid-sentence)
        sentence = re.sub(r"[\"“][^\"”]*[\"”]", lambda q: "x" * len(q.group(0)), sentence)
        for m in rx.finditer(sentence):
            word = m.group(0)
            word = re.sub(r"['’]s$", "", word)
            parts = word.split()
            # "Mara Okafor" counts for both the full name and its first word
            keys = [word] if len(parts) == 1 or parts[0] in _TITLES else [word, parts[0]]
            for key in keys:
                if key in _STOP or key.split()[0] in _STOP:
                    continue
                total[key] += 1
                if m.start() > 0 and sentence[:m.start()].strip(" \"'“‘(—-"):
                    mid[key] += 1
                if _PLACE_PREP.search(sentence[:m.start()]):
                    place[key] += 1
    return total, mid, place


def _appositive(name: str, sentences: list[str]) -> str:
    """What the story says a character looks like, from the first sentences that tell."""
    n = "(?i:" + re.escape(name) + ")"
    found: list[str] = []
    n = n + r"(?:\s+[A-Z][\w'-]+)?"  # "Ines Calder, a ferry mechanic": the surname may follow
    patterns = (
        re.compile(n + r"\s*(?:\(([^)]{1,30})\))?,\s+"
                   r"((?:a|an|the|in|with|wearing|\d{1,2})\b[^,.;:!?]{3,90})"),
        re.compile(n + r"\s+(?:was|is)\s+((?:a|an)\s+[^,.;:!?]{3,80})"),
        re.compile(n + r"\s+(?:wore|wears|was wearing|is wearing)\s+([^.;:!?]{3,80})"),
        re.compile(r"\b((?:a|an)\s+[^,.;:!?]{3,60}?)\s+(?:named|called)\s+" + n),
        re.compile(n + r"\s*\(([^)]{1,30})\)"),
    )
    for sentence in sentences:
        for rx in patterns:
            m = rx.search(sentence)
            if m:
                bits = [g.strip() for g in m.groups() if g]
                if bits and re.fullmatch(r"\d{1,2}s?", bits[0]) and len(bits) > 1:
                    # "NADIA (30s), a dock inspector" → "a dock inspector, in their 30s"
                    age = bits.pop(0)
                    bits.append(f"in their {age}" if age.endswith("s") else f"aged {age}")
                text = ", ".join(bits)
                if re.match(r"^(?:was|were|had|is)\b", text):
                    continue
                if text.lower().startswith(("wore ", "wears ")):
                    text = text.split(" ", 1)[1]
                if rx is patterns[2]:
                    text = "wearing " + text
                if text and not any(text in f for f in found):
                    found.append(text)
        if len(found) >= 2:
            break
    poss = re.compile(n + r"['’]s\s+((?:[a-z-]+\s+){1,2}(?:" + "|".join(_CLOTHES) + r"))\b")
    for sentence in sentences:
        for m in poss.finditer(sentence):
            item = m.group(1)
            if not any(item in f for f in found):
                found.append(item)
        if len(found) >= 3:
            break
    return "; ".join(found[:3])


_VAGUE_LOOK = "looks exactly the same in every shot"
_EPITHETS = ("old", "young", "little", "tall", "short", "elderly", "grey-haired",
             "white-haired", "red-haired", "bearded", "blind", "lame", "tiny", "giant", "fat",
             "thin", "aged", "ancient", "teenage", "kind", "grumpy", "lonely")


def _epithet(name: str, sentences: list[str], title: str) -> str:
    """A look from the words around a name when the story gives no appositive: "old Elias"
    → "old", and the title's role for the lead ("The Lighthouse Keeper" → "an old
    lighthouse keeper")."""
    adjectives: list[str] = []
    rx = re.compile(r"\b((?:[a-z-]+\s+){1,2})" + re.escape(name) + r"\b")
    for sentence in sentences:
        for m in rx.finditer(sentence):
            for word in m.group(1).split():
                if word in _EPITHETS and word not in adjectives:
                    adjectives.append(word)
    role = ""
    words = re.sub(r"^(?:the|a|an)\s+", "", title.strip(), flags=re.IGNORECASE).split()
    if words and words[-1].lower() in ROLES and len(words) <= 4:
        role = " ".join(w.lower() for w in words)
    if role:
        phrase = " ".join([*adjectives, role])
        return ("an " if phrase[:1] in "aeiou" else "a ") + phrase
    return ", ".join(adjectives) + ", " + _VAGUE_LOOK if adjectives else ""


def _role_characters(sentences: list[str]) -> list[FoundCharacter]:
    text = " ".join(sentences)
    out: list[FoundCharacter] = []
    for role in ROLES:
        mentions = len(re.findall(r"\b" + re.escape(role) + r"s?\b", text, re.IGNORECASE))
        if mentions < 2:
            continue
        intro = re.search(r"\b(?:a|an)\s+((?:[\w'-]+\s+){0,4}?" + re.escape(role) + r")\b",
                          text, re.IGNORECASE)
        if intro is None:
            continue
        # "a player in a red jersey dribbles …": keep what they wear, stop before the verb
        tail = re.match(r"\s+(?:in|with|wearing)\s+(?:[\w'-]+\s+){0,4}?(?:"
                        + "|".join(_CLOTHES) + r")\b", text[intro.end():], re.IGNORECASE)
        description = intro.group(0).strip() + (tail.group(0) if tail else "")
        description = description[:1].lower() + description[1:]
        # the bible names the role the way the story refers to it later ("the player")
        out.append(FoundCharacter(role.title(), description, mentions, True))
    # "woman" inside "old woman", "player" when "football player" also matched: keep the longest
    out.sort(key=lambda c: -c.mentions)
    return [c for c in out
            if not any(o is not c and c.name.lower() in o.name.lower() for o in out)]


def find_characters(story: Story, max_characters: int = 8) -> list[FoundCharacter]:
    """Recurring characters in first-appearance order, each with a one-line description."""
    sentences: list[str] = []
    speakers: Counter[str] = Counter()
    for scene in story.scenes:
        for e in scene.elements:
            if e.kind is ElementKind.DIALOGUE:
                speakers[e.speaker] += 1
            else:
                sentences.extend(split_sentences(e.text))
    text = " ".join(sentences)
    total, mid, place = _name_candidates(sentences)
    names: list[str] = []
    for name in story.cues:
        names.append(name)
    for name, count in total.items():
        if name in names:
            continue
        lower_seen = re.search(r"\b" + re.escape(name.lower()) + r"\b", text) is not None
        # "in Lisbon", "the Marigold": places and named things, not people
        the_count = len(re.findall(r"\bthe\s+" + re.escape(name) + r"\b", text))
        is_placey = place[name] * 2 > count or the_count * 2 >= count
        if (count + speakers[name] >= 2 and mid[name] >= 1 and not lower_seen and not is_placey):
            names.append(name)
    # a first name and the full name are one person: keep the form the story uses most
    merged: list[str] = []
    for name in names:
        if any(name != o and (o.startswith(name + " ") or name.startswith(o + " "))
               and total[o] >= total[name] for o in names):
            continue
        merged.append(name)
    found: list[FoundCharacter] = []
    lead = max(merged, key=lambda n: total[n] + speakers[n], default="")
    for name in merged:
        mentions = total[name] + speakers[name]
        description = _appositive(name, sentences) or _epithet(
            name, sentences, story.title if name == lead else "")
        if description and not description.endswith(_VAGUE_LOOK):
            found.append(FoundCharacter(name, description, mentions, True))
        else:
            found.append(FoundCharacter(name, description or _VAGUE_LOOK, mentions, False))
    if not found:
        found = _role_characters(sentences)

    def first_seen(c: FoundCharacter) -> int:
        m = re.search(r"\b" + re.escape(c.name) + r"\b", text, re.IGNORECASE)
        return m.start() if m else len(text)

    found.sort(key=lambda c: -c.mentions)
    found = found[:max_characters]
    found.sort(key=first_seen)
    return found
