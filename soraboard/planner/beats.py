"""Splitting a story into beats: the smallest pieces a segment can be cut between.

A beat is one sentence of action, one spoken line, or (for a terse shot list) one clause.
Each carries where it sits (scene, paragraph) so the packer knows which cuts are natural — a
scene change is the best place to cut, a paragraph end is good, mid-paragraph is a last resort —
and a rough natural screen time so pacing follows the story.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum

from soraboard.planner.story import ElementKind, Story


class BeatKind(str, Enum):
    ACTION = "action"
    DIALOGUE = "dialogue"


@dataclass(frozen=True)
class StoryBeat:
    text: str
    kind: BeatKind
    scene: int  #: index into ``Story.scenes``
    paragraph: int  #: global paragraph number (a spoken line is its own paragraph)
    seconds: float  #: rough natural screen time
    ends_paragraph: bool = False
    ends_scene: bool = False
    speaker: str = ""
    camera: str = ""  #: a shot or camera direction the sentence opens with ("Close-up")
    setting: bool = False  #: describes a place or a state rather than an action


# Abbreviations that end in a full stop without ending a sentence.
_ABBREV = ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Prof", "vs", "etc", "e.g", "i.e",
           "INT", "EXT", "No", "Mt")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")

#: an explicit framing at the start of a sentence: a new shot, not a continuation
SHOT_CUES = ("opening scene", "opening shot", "establishing shot", "wide shot", "extreme wide shot",
             "aerial shot", "aerial view", "close-up", "close up", "extreme close-up",
             "medium shot", "interior shot", "exterior shot", "overhead shot", "final shot",
             "cut to", "insert", "pov", "low angle", "high angle", "tracking shot",
             "slow motion", "montage")
#: a camera move: the shot goes on, so the next segment can continue from its last frame
_MOVE_CUE = re.compile(
    r"^(?:the\s+)?camera\s+(?:slowly\s+)?(?:pans|tilts|tracks|cranes|pushes|pulls|follows|"
    r"drifts|rises|descends|moves|zooms|dollies|orbits|swings|glides)\b[^,;:]*",
    re.IGNORECASE,
)
_FOCUS_CUE = re.compile(r"^(?:focus|focuses|we focus)\s+on\s+", re.IGNORECASE)
_LOCATION_CUES = ("interior shot", "exterior shot", "opening scene", "establishing shot")

def _words(text: str) -> frozenset[str]:
    """A word list written as one string: easier to read and extend than a list literal."""
    return frozenset(text.split())


_IRREGULAR = _words(
    "ran run runs began begins came comes went goes saw sees took takes gave gives fell falls "
    "stood stands sat sits held holds threw throws caught catches hit hits struck strikes "
    "shot shoots broke breaks rose rises drove drives flew flies swam swims spoke speaks "
    "said says told tells found finds left leaves led leads ate eats drank drinks wrote "
    "writes rode rides hid hides shook shakes woke wakes lay lies slid slides swung swings "
    "sang sings rang rings got gets made makes put puts set sets cut cuts let lets keeps "
    "kept knelt kneels leapt leaps dove dives grabbed grabs turns turned looks looked "
    "opens opened closes closed steps stepped walks walked pulls pulled pushes pushed "
    "bent bends lit lights met meets sent sends spun spins tore tears wore wears won wins "
    "lost loses brought brings bought buys caught felt feels heard hears knew knows "
    "thought thinks understood became becomes froze freezes blew blows drew draws grew "
    "grows burst bursts crept creeps dug digs fought fights fled flees flung hung hangs "
    "leant leans sought stuck sticks stung swept sweeps swore wept weeps wound"
)
_PRONOUN_START = re.compile(r"^(?:he|she|they|we|i|it|you)\s+\w", re.IGNORECASE)
_SETTING_START = re.compile(
    r"^(?:there\s+(?:is|are|was|were)|it\s+(?:is|was)\s+(?:a|an|the|late|early|night|"
    r"morning|dawn|dusk|raining|cold|hot|dark|quiet)|(?:a|an|the)\s+[\w\s,'-]*?\s+"
    r"(?:is|are|was|were|had been|has been)\s+(?!being)\w)",
    re.IGNORECASE,
)
# "a kitten blinks up", "rain hammers the quay": a word in -s followed by where or what
_S_VERB = re.compile(r"\b[a-z]{3,}[^s\W]s\s+(?:up|down|into|onto|over|across|through|at|on|in|to|"
                     r"out|back|away|off|around|the|a|an|his|her|their|its|him|them)\b")
_QUOTE = re.compile(r"[\"“]([^\"”]+)[\"”]")
_SPEECH_VERBS = (r"said|says|asked|asks|shouted|shouts|whispered|whispers|called|calls|replied|"
                 r"replies|answered|answers|muttered|mutters|yelled|yells|added|adds|cried|"
                 r"cries|snapped|snaps|murmured|murmurs|told|tells|laughed|laughs")
_SPEAKER_AFTER = re.compile(r"^[\s,.!?—-]*(?:" + _SPEECH_VERBS + r")\s+([A-Z][\w'-]+)")
_SPEAKER_BEFORE = re.compile(r"([A-Z][\w'-]+)\s+(?:" + _SPEECH_VERBS + r")[\s,:]*$")
_SPEAKER_AFTER_NAME = re.compile(r"^[\s,.!?—-]*([A-Z][\w'-]+)\s+(?:" + _SPEECH_VERBS + r")\b")
_SPEAKER_PRONOUN = re.compile(r"^[\s,.!?—-]*(?:he|she|they|i)\s+(?:" + _SPEECH_VERBS + r")\b",
                              re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations like ``Dr.`` do not end one."""
    pieces: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        # never inside a quotation: "Storm's coming. A big one," he said. is one sentence
        if (text.count('"', 0, m.start()) % 2 == 1
                or text.count("“", 0, m.start()) > text.count("”", 0, m.start())):
            continue
        before = text[start:m.start()].rstrip("\"'”’)]")
        word = re.search(r"([\w.]+)\.$", before)
        if word and word.group(1) in _ABBREV:
            continue
        pieces.append(text[start:m.start()].strip())
        start = m.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


#: a beat shorter than this is a fragment ("At the top."), not an action a camera can film
MIN_BEAT_WORDS = 4


def split_clauses(sentence: str) -> list[str]:
    """A sentence's comma/semicolon clauses, for a shot list that is one line per shot.

    Only when every clause is a whole action of at least :data:`MIN_BEAT_WORDS` words:
    "At the top, he polishes the lens" stays one beat.
    """
    parts = [p.strip(" ,;") for p in re.split(r"[,;]\s+|\s+(?:and then|then)\s+", sentence)]
    if any(len(p.split()) < MIN_BEAT_WORDS for p in parts):
        return [sentence.strip(" ,;")]
    # "…, pulling funny faces" is a manner of the first clause, not a moment of its own
    if any(re.match(r"^\w+ing\b", p) for p in parts[1:]):
        return [sentence.strip(" ,;")]
    return parts


def camera_cue(sentence: str) -> tuple[str, str]:
    """(camera direction, the rest) when the sentence opens with one, else ("", sentence)."""
    low = sentence.lower()
    for cue in sorted(SHOT_CUES, key=len, reverse=True):
        if low.startswith(cue) and (len(low) == len(cue) or not low[len(cue)].isalnum()):
            rest = sentence[len(cue):].lstrip(" :,-–—")
            rest = re.sub(r"^of\s+", "", rest)
            # "Opening scene: Wide shot of …" carries two cues; keep both
            inner, rest2 = camera_cue(rest) if rest else ("", rest)
            label = sentence[:len(cue)]
            label = label[:1].upper() + label[1:]
            return (f"{label}, {inner.lower()}" if inner else label), (rest2 if inner else rest)
    m = _MOVE_CUE.match(sentence)
    if m:
        rest = sentence[m.end():].lstrip(" ,;:")
        move = m.group(0).strip()
        return move[:1].upper() + move[1:], rest
    m = _FOCUS_CUE.match(sentence)
    if m:
        subject, _, rest = sentence[m.end():].partition(",")
        return f"Focus on {subject.strip()}", rest.strip() or subject.strip()
    return "", sentence


def is_location_cue(camera: str) -> bool:
    low = camera.lower()
    return any(low.startswith(c) for c in _LOCATION_CUES)


def is_shot_cue(camera: str) -> bool:
    """True for a framing that starts a new shot (as opposed to a camera move)."""
    low = camera.lower()
    return any(low.startswith(c) for c in SHOT_CUES)


def looks_like_setting(sentence: str, names: frozenset[str] = frozenset()) -> bool:
    """True for a sentence that describes a place or a state, not someone doing something."""
    words = re.findall(r"[A-Za-z'’-]+", sentence)
    if any(w in names for w in words):
        return False
    if _SETTING_START.match(sentence):
        return True
    if _PRONOUN_START.match(sentence):
        return False
    if _S_VERB.search(sentence) or len(words) < 3:
        return False
    for w in words:
        lw = w.lower()
        if lw in _IRREGULAR or (len(lw) > 4 and (lw.endswith("ing") or lw.endswith("ed"))):
            return False
    return True


def natural_seconds(text: str, kind: BeatKind) -> float:
    """A rough screen time: speech at ~2.5 words/s; action at ~3.5 words/s, 1.5–6 s."""
    n = len(text.split())
    if kind is BeatKind.DIALOGUE:
        return max(1.0, n / 2.5 + 0.5)
    return min(max(n / 3.5, 1.5), 6.0)


class _Speakers:
    """Who "he" and "she" are: the most recent sentence subject of that pronoun.

    Prose tags most lines "she said"; the speaker is then the last character who was the
    subject of a sentence and has been referred to as "she". A pronoun never seen for anyone
    is learnt from the latest subject without one.
    """

    def __init__(self, names: frozenset[str]) -> None:
        self.names = sorted(names, key=len, reverse=True)
        self.subjects: list[str] = []
        self.gender: dict[str, str] = {}

    def name_at_start(self, sentence: str) -> str:
        body = sentence.lstrip("\"“‘'( ")
        for name in self.names:
            if re.match(re.escape(name) + r"\b", body, re.IGNORECASE):
                return name
        return ""

    def resolve(self, pronoun: str, learn: bool = True) -> str:
        p = "she" if pronoun.lower() in ("she", "her") else "he"
        for name in reversed(self.subjects):
            if self.gender.get(name) == p:
                return name
        for name in reversed(self.subjects):
            if name not in self.gender:
                if learn:
                    self.gender[name] = p
                return name
        return ""

    def see(self, sentence: str) -> None:
        name = self.name_at_start(sentence)
        if name:
            self._push(name)
            return
        m = re.match(r"^[\"“‘']?(he|she|his|her)\b", sentence.strip(), re.IGNORECASE)
        if m:
            who = self.resolve(m.group(1))
            if who:
                self._push(who)

    def _push(self, name: str) -> None:
        if name in self.subjects:
            self.subjects.remove(name)
        self.subjects.append(name)

    def speaker(self, before: str, after: str) -> str:
        near_after = " ".join(after.split()[:4])
        near_before = " ".join(before.split()[-4:])
        for text in (near_after, near_before):
            for name in self.names:
                if re.search(r"\b" + re.escape(name) + r"\b", text, re.IGNORECASE):
                    self._push(name)
                    return name
            m = re.search(r"\b(he|she)\s+(?:" + _SPEECH_VERBS + r")\b", text, re.IGNORECASE)
            if m:
                return self.resolve(m.group(1))
        return ""


def split_beats(story: Story, names: frozenset[str] = frozenset()) -> list[StoryBeat]:
    """Every beat of the story in order, with its scene, paragraph and natural time.

    Quoted speech in prose becomes dialogue beats (the speaker from "said Mara", or "she
    said" resolved to the latest subject called "she", or the previous speaker of the same
    paragraph); what is left of the sentence stays an action if it says anything.
    """
    beats: list[StoryBeat] = []
    paragraph = 0
    tracker = _Speakers(names)
    for s_index, scene in enumerate(story.scenes):
        for element in scene.elements:
            if element.kind is ElementKind.DIALOGUE:
                beats.append(StoryBeat(element.text, BeatKind.DIALOGUE, s_index, paragraph,
                                       natural_seconds(element.text, BeatKind.DIALOGUE),
                                       speaker=element.speaker))
            else:
                previous = ""
                for sentence in split_sentences(element.text):
                    new = _sentence_beats(sentence, s_index, paragraph, names, tracker,
                                          previous)
                    tracker.see(sentence)
                    for b in new:
                        if b.kind is BeatKind.DIALOGUE:
                            previous = b.speaker
                    beats.extend(new)
            if beats and beats[-1].paragraph == paragraph:
                beats[-1] = _replace(beats[-1], ends_paragraph=True)
            paragraph += 1
        if beats and beats[-1].scene == s_index:
            beats[-1] = _replace(beats[-1], ends_paragraph=True, ends_scene=True)
    return beats


def _sentence_beats(sentence: str, scene: int, paragraph: int, names: frozenset[str],
                    tracker: _Speakers, previous_speaker: str) -> list[StoryBeat]:
    quotes = list(_QUOTE.finditer(sentence))
    if not quotes:
        camera, rest = camera_cue(sentence)
        text = rest.strip() or sentence
        text = text[:1].upper() + text[1:]
        return [StoryBeat(text, BeatKind.ACTION, scene, paragraph,
                          natural_seconds(text, BeatKind.ACTION), camera=camera,
                          setting=looks_like_setting(text, names))]
    out: list[StoryBeat] = []
    spoken = " ".join(q.group(1).strip() for q in quotes)
    # "Why do you keep it," she asked, "if …?" → one line; a trailing comma becomes a stop
    spoken = re.sub(r",\s*$", ".", re.sub(r",\s+(?=[a-z])", ", ", spoken)).strip()
    before = sentence[:quotes[0].start()]
    after = sentence[quotes[-1].end():]
    between = " ".join(sentence[a.end():b.start()] for a, b in itertools.pairwise(quotes))
    speaker = tracker.speaker(before, after + " " + between) or previous_speaker
    if not speaker and not before.strip() and tracker.subjects:
        speaker = tracker.subjects[-1]  # an untagged line: whoever the story was just about
    # What is said around the quotes, minus the "she said" tags, may still be an action.
    remainder = _QUOTE.sub(" ", sentence)
    # the speech tag with everything it governs ("she says to the old man") is not an action
    remainder = re.sub(r"\b(?:[A-Z][\w'-]+|he|she|they|i|we)\s+(?:" + _SPEECH_VERBS
                       + r")\b[^,.;!?—]*", " ", remainder, flags=re.IGNORECASE)
    remainder = re.sub(r"\b(?:" + _SPEECH_VERBS + r")\s+(?:[A-Z][\w'-]+|he|she|they)\b[^,.;!?—]*",
                       " ", remainder)
    remainder = re.sub(r"\b(?:" + _SPEECH_VERBS + r")\b", " ", remainder)
    remainder = " ".join(remainder.split()).strip(" ,.;:—-")
    if speaker:
        remainder = re.sub(r"^(?:" + re.escape(speaker) + r"|he|she)\s*,?\s*(?:and\s+)?", "",
                           remainder, flags=re.IGNORECASE)
    if len(remainder.split()) >= 6:
        text = remainder[:1].upper() + remainder[1:] + "."
        out.append(StoryBeat(text, BeatKind.ACTION, scene, paragraph,
                             natural_seconds(text, BeatKind.ACTION)))
    out.append(StoryBeat(spoken, BeatKind.DIALOGUE, scene, paragraph,
                         natural_seconds(spoken, BeatKind.DIALOGUE), speaker=speaker))
    return out


def _replace(beat: StoryBeat, **changes: object) -> StoryBeat:
    from dataclasses import replace

    return replace(beat, **changes)  # type: ignore[arg-type]
