"""The cast a plan proposes: who and what appears in each planned segment (issue 17.8).

:mod:`soraboard.planner.characters` finds the story's recurring characters. This module adds
the recurring *things* a look must carry across a cut — "a small boat" at night that is
"the boat" at dawn, "the Marigold", a place named again and again — and works out, beat by
beat, who each one shows: a name, or a pronoun ("At dawn, he finds the boat") that stands for
the character last named. A segment lists the entries its beats show, so their
descriptions reach its prompt and their reference images go with it, even when the prompt's
words only say "he".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from soraboard.model.storyboard import CastKind, Character
from soraboard.planner.beats import BeatKind, StoryBeat, split_sentences
from soraboard.planner.characters import FoundCharacter
from soraboard.planner.story import ElementKind, Story


@dataclass(frozen=True)
class FoundThing:
    """A recurring prop or place: its cast name, what the story says it looks like."""

    name: str
    description: str
    kind: CastKind
    scenes: int  #: how many scenes show it


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: nouns that recur in any story without being a thing to hold from shot to shot
_VAGUE = _words(
    "way time end rest same moment moments night nights day days morning evening dawn dusk "
    "top bottom side middle edge front back air light dark darkness silence sound noise "
    "world thing things something nothing everything one first last next other others "
    "people crowd first-time while minute minutes hour hours second seconds year years life "
    "voice eyes face hand hands head feet foot arm arms shoulder shoulders breath sky "
    "ground floor wall walls camera shot scene frame sun moon rain wind weather storm waves "
    "water sea "
)
#: words that end a noun phrase ("a small boat tossed by …": the phrase is "small boat")
_FUNCTION = _words(
    "a an the and or but of to in on at by for with from into onto over under up down out "
    "off that which who whose whom what when where while as than then so if is was are were "
    "be been has had have do did does its it his her their our my your this these those "
    "there here not no very too just only also still again some any all each every one two "
    "three across through behind beside between near along around against past toward "
    "towards beyond inside outside above below beneath among upon like stood sat ran came "
    "went fell lay hung grew drew took made saw got held felt left rose shone swung spun "
    "flew threw broke began stuck struck bit hit put set cut let "
)
_INTRO = re.compile(r"\b(?:[Aa]n?)\s+([a-z][a-z' -]*)")


def _introductions(sentence: str) -> list[tuple[str, list[str]]]:
    """("a", ["tiny", "grey", "kitten"]) for each "a …" noun phrase of ``sentence``: up to
    four plain lower-case words, stopping at a function word or at a verb-like word after
    the first ("a small boat tossed by the waves", "a tiny grey kitten blinks")."""
    out: list[tuple[str, list[str]]] = []
    for m in _INTRO.finditer(sentence):
        article = m.group(0).split()[0].lower()
        words: list[str] = []
        for word in re.split(r"\s+", m.group(1).strip()):
            if not re.fullmatch(r"[a-z][a-z'-]*", word) or word in _FUNCTION:
                break
            if words and word.endswith(("s", "ed", "ing")) and not word.endswith("ss"):
                break
            words.append(word)
            if len(words) == 4:
                break
        if words and len(words[-1]) >= 3:
            out.append((article, words))
    return out


_PLACE_PREP = re.compile(r"\b(?:in|at|into|inside|from|near|across|toward|towards|through|"
                         r"along|up|down|outside|to)\s+(?:(?:the|an?)\s+)?(?:[a-z'-]+\s+){0,2}$",
                         re.IGNORECASE)


def _prose_by_scene(story: Story) -> list[list[str]]:
    out: list[list[str]] = []
    for scene in story.scenes:
        sentences: list[str] = []
        for e in scene.elements:
            if e.kind is not ElementKind.DIALOGUE:
                # quoted speech is not what the camera shows
                sentences.extend(re.sub(r"[\"“][^\"”]*[\"”]", " ", s)
                                 for s in split_sentences(e.text))
        out.append(sentences)
    return out


def find_things(story: Story, characters: Sequence[FoundCharacter],
                max_things: int = 4) -> list[FoundThing]:
    """Props and places the story introduces with a look ("a small boat", "a tiny grey
    kitten") and shows again in another scene ("the boat"): across a cut is where a video
    model re-invents them. A thing seen in one scene only, or never described, is left to
    the prompt's words."""
    scenes = _prose_by_scene(story)
    taken = {c.name.lower() for c in characters}
    taken |= {w.lower() for c in characters for w in c.name.split()}
    intro: dict[str, str] = {}
    seen_in: dict[str, set[int]] = {}
    place_uses: Counter[str] = Counter()
    uses: Counter[str] = Counter()
    for s_index, sentences in enumerate(scenes):
        for sentence in sentences:
            for article, words in _introductions(sentence):
                noun, mods = words[-1], words[:-1]
                if not mods or noun in _VAGUE or noun in taken or noun.endswith("ly"):
                    continue
                intro.setdefault(noun, f"{article} {' '.join(words)}")
            for noun in list(intro):
                for m in re.finditer(r"\b" + re.escape(noun) + r"\b", sentence,
                                     re.IGNORECASE):
                    seen_in.setdefault(noun, set()).add(s_index)
                    uses[noun] += 1
                    if _PLACE_PREP.search(sentence[:m.start()]):
                        place_uses[noun] += 1
    found: list[FoundThing] = []
    for noun, description in intro.items():
        n_scenes = len(seen_in.get(noun, ()))
        if n_scenes < 2:
            continue
        kind = CastKind.LOCATION if place_uses[noun] * 2 > uses[noun] else CastKind.PROP
        found.append(FoundThing(noun.capitalize(), description, kind, n_scenes))
    found.sort(key=lambda t: -t.scenes)
    return found[:max_things]


_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)


def _family(pronoun: str) -> str:
    return "she" if pronoun.lower() in ("she", "her", "hers") else "he"


def _unquoted(text: str) -> str:
    return re.sub(r"[\"“][^\"”]*[\"”]", " ", text)  # words said are not what is shown


class Referents:
    """Who each beat shows, in story order: the entries it names, and the character a
    pronoun stands for (the one last named whose pronoun it is; a character's pronoun is
    read first from the story: the one that follows a sentence naming only them)."""

    def __init__(self, entries: Sequence[Character], beats: Sequence[StoryBeat] = ()) -> None:
        self.entries = list(entries)
        self.people = [c for c in entries if c.kind is CastKind.CHARACTER]
        self.last: list[str] = []  #: characters in the order last named, latest last
        self.gender: dict[str, str] = {}
        votes: dict[str, Counter[str]] = {}
        texts = [_unquoted(b.text) for b in beats if b.kind is BeatKind.ACTION]
        for i, text in enumerate(texts):
            people = [c for c in self._named(text) if c.kind is CastKind.CHARACTER]
            if len(people) != 1:
                continue
            at = re.search(re.escape(people[0].name), text, re.IGNORECASE)
            after = _PRONOUN.search(text, at.end() if at else 0)
            if after is None and i + 1 < len(texts) and not self._named(texts[i + 1]):
                after = _PRONOUN.search(texts[i + 1])
            if after is not None:
                votes.setdefault(people[0].name, Counter())[_family(after.group(1))] += 1
        for name, count in votes.items():
            self.gender[name] = count.most_common(1)[0][0]

    def _named(self, text: str) -> list[Character]:
        hits = []
        for c in self.entries:
            m = re.search(r"(?<!\w)" + re.escape(c.name) + r"s?(?!\w)", text, re.IGNORECASE)
            if m:
                hits.append((m.start(), c))
        return [c for _at, c in sorted(hits, key=lambda h: h[0])]

    def _resolve(self, family: str, guess: bool) -> str:
        for name in reversed(self.last):
            if self.gender.get(name) == family:
                return name
        if guess:  # nobody is known by it yet: the last named whose pronoun is unknown
            for name in reversed(self.last):
                if name not in self.gender:
                    self.gender[name] = family
                    return name
        return ""

    def see(self, beat: StoryBeat) -> list[str]:
        """The names of the entries ``beat`` shows (and remember who it named)."""
        text = _unquoted(beat.text)
        named = self._named(text)
        out = [c.name for c in named]
        if beat.kind is BeatKind.DIALOGUE and beat.speaker:
            out += [c.name for c in self.people if c.name.lower() == beat.speaker.lower()]
        people = [c.name for c in named if c.kind is CastKind.CHARACTER]
        families = list(dict.fromkeys(_family(p) for p in _PRONOUN.findall(text)))
        if len(people) == 1 and families and people[0] not in self.gender:
            # "Ines … wiped her hands": the pronoun of the only person named is theirs
            self.gender[people[0]] = families[0]
        taken = {self.gender.get(n) for n in people}
        for n, family in enumerate(families):
            if family in taken:
                continue  # "Ines … her hands": the person named
            # a pronoun no one named here goes by: someone named before; only the sentence's
            # first pronoun may guess among those whose pronoun is not known yet
            who = self._resolve(family, guess=n == 0 and not people)
            if who and who not in out:
                out.append(who)
        for name in people or ([n for n in out if n in {c.name for c in self.people}]):
            if name in self.last:
                self.last.remove(name)
            self.last.append(name)
        return list(dict.fromkeys(out))


def as_entries(characters: Sequence[FoundCharacter], things: Sequence[FoundThing]
               ) -> tuple[Character, ...]:
    """The style bible's cast: the characters, then the props and places."""
    return (tuple(Character(c.name, c.description) for c in characters)
            + tuple(Character(t.name, t.description, t.kind) for t in things))


def in_order(names: Sequence[str], entries: Sequence[Character]) -> tuple[str, ...]:
    """``names`` (each once) in the order of ``entries``."""
    wanted = {n.lower() for n in names}
    return tuple(c.name for c in entries if c.name.lower() in wanted)

