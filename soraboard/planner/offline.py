"""The offline planner: a storyboard from a story with no network and no model.

It packs the story's beats into segments with a dynamic program over the model's allowed
durations. The program minimises, over every way to cut the beats into runs and give each run
an allowed duration summing to the target:

* a pacing cost — each segment's share of the story's natural screen time, scaled to the
  target, should match its duration (log ratio squared, so twice and half cost the same);
* a cut cost — cutting at a scene change is free, at a paragraph end cheap, mid-paragraph
  dear, which is the guide's "segment at natural transition points";
* a large cost for a segment that spans two scenes (only taken when the film is too short to
  give every scene its own segment).

Then each segment gets timed action beats (about one per 4 s, the cut-on action always kept),
the dialogue that fits, a scene line, a camera line and its continuity: a new scene or an
explicit new framing is an independent shot; anything else continues from the previous frame.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from soraboard.catalog.catalog import ModelSpec
from soraboard.model.storyboard import (
    Continuity,
    Segment,
    Storyboard,
    StyleBible,
    Transition,
    new_segment_id,
)
from soraboard.model.timing import fmt_seconds
from soraboard.planner.beats import (
    BeatKind,
    StoryBeat,
    is_location_cue,
    is_shot_cue,
    split_beats,
    split_clauses,
)
from soraboard.planner.cast import FoundThing, Referents, as_entries, find_things, in_order
from soraboard.planner.characters import FoundCharacter, find_characters
from soraboard.planner.scenes import (
    framing,
    light_for,
    scene_place,
    scene_time,
    scene_weather,
    split_prose_scenes,
)
from soraboard.planner.shaping import (
    action_capacity,
    closest_total,
    dialogue_capacity,
    durations_text,
    format_dialogue,
    reachable_totals,
    scene_transition,
    time_beats,
)
from soraboard.planner.story import Scene, Story

DEFAULT_STYLE = ("Cinematic live action, natural light, one consistent colour grade and the "
                 "same characters, costumes and locations from shot to shot")
DEFAULT_NEGATIVE = "no on-screen text or subtitles, no logos, no real people"

_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black",
            "grey", "gray", "brown", "gold", "golden", "silver", "amber", "crimson", "teal",
            "navy", "cream", "copper", "violet", "scarlet", "turquoise", "ochre", "rust")
_SOUND = re.compile(r"\b(?:sound|sounds|hear|hears|heard|roar|roars|hum|hums|music|silence|"
                    r"silent|bell|bells|siren|sirens|thunder|rain|wind|crowd|cheer|cheers|"
                    r"cheering|whistle|whistles|drum|drums|echo|echoes|crash|bang|song|sings)\b",
                    re.IGNORECASE)
# Cut costs: the guide's natural cut points are free or cheap, cutting mid-thought is not.
_CUT_SCENE, _CUT_PARAGRAPH, _CUT_SENTENCE, _CUT_CLAUSE = 0.0, 0.4, 1.5, 0.6
_CROSS_SCENE = 6.0
_PER_SEGMENT = 0.3


@dataclass
class _Unit:
    """The smallest run of beats the packer may cut between."""

    beats: list[StoryBeat]
    cut_after: float  #: cost of a cut right after this unit
    part: int = 0  #: >0 for the continuation copies of a unit stretched over segments

    @property
    def seconds(self) -> float:
        return sum(b.seconds for b in self.beats)

    @property
    def scene(self) -> int:
        return self.beats[0].scene


@dataclass
class OfflinePlan:
    storyboard: Storyboard
    notes: list[str] = field(default_factory=list)
    #: the shortest length that gives every scene a shot of its own, when the target was less
    shortest_length: float | None = None
    #: for each segment, the story scene it starts in (scene changes are where cuts go)
    segment_scenes: list[int] = field(default_factory=list)
    #: the story as planned (prose scenes split where the time changes)
    story: Story | None = None


def _cut_cost(beat: StoryBeat, nxt: StoryBeat | None) -> float:
    if nxt is None or beat.ends_scene:
        return _CUT_SCENE
    if nxt.camera and is_shot_cue(nxt.camera):
        return _CUT_SCENE  # the story itself asks for a new shot here
    if beat.ends_paragraph:
        return _CUT_PARAGRAPH
    return _CUT_SENTENCE


def _units(beats: list[StoryBeat], m_est: float, m_min: int) -> tuple[list[_Unit], str]:
    """Units for the packer: sentences, or paragraphs when the story is long for the film.

    The second value says what was done, for the notes ("" when nothing worth saying).
    """
    units = [_Unit([b], _cut_cost(b, beats[i + 1] if i + 1 < len(beats) else None))
             for i, b in enumerate(beats)]
    cap = max(8, int(4 * m_est))
    how = ""
    if len(units) > cap:
        # too many sentences to cut between: cut only at paragraph ends
        merged: list[_Unit] = []
        for u in units:
            if merged and not merged[-1].beats[-1].ends_paragraph:
                merged[-1].beats.extend(u.beats)
                merged[-1].cut_after = u.cut_after
            else:
                merged.append(_Unit(list(u.beats), u.cut_after))
        units = merged
        how = "paragraph"
    while len(units) > cap:
        # still too many: pair up neighbouring paragraphs of the same scene
        merged = []
        changed = False
        i = 0
        while i < len(units):
            u = units[i]
            if (i + 1 < len(units) and u.scene == units[i + 1].scene
                    and not u.beats[-1].ends_scene):
                merged.append(_Unit(u.beats + units[i + 1].beats, units[i + 1].cut_after))
                i += 2
                changed = True
            else:
                merged.append(u)
                i += 1
        units = merged
        how = "passage"
        if not changed:
            break
    if len(units) < m_min:
        # a terse brief: split the longest action sentences into their clauses first
        out: list[_Unit] = []
        for u in units:
            b = u.beats[0]
            clauses = split_clauses(b.text) if len(u.beats) == 1 and b.kind is BeatKind.ACTION \
                else []
            if len(clauses) >= 2:
                for j, c in enumerate(clauses):
                    last = j == len(clauses) - 1
                    out.append(_Unit([StoryBeat(
                        c[:1].upper() + c[1:], b.kind, b.scene, b.paragraph,
                        b.seconds / len(clauses), last and b.ends_paragraph,
                        last and b.ends_scene, b.speaker, b.camera if j == 0 else "",
                        b.setting)], u.cut_after if last else _CUT_CLAUSE))
            else:
                out.append(u)
        units = out
    if len(units) < m_min:
        # still fewer beats than the shortest film needs segments: stretch the longest beats
        stretched = [[u] for u in units]
        while sum(len(s) for s in stretched) < m_min:
            longest = max(stretched, key=lambda s: s[0].seconds / len(s))
            base = longest[0]
            longest.append(_Unit(base.beats, base.cut_after, part=len(longest)))
        units = []
        for s in stretched:
            for j, u in enumerate(s):
                units.append(_Unit(u.beats, u.cut_after if j == len(s) - 1 else _CUT_CLAUSE,
                                   part=j))
        how = "stretched"
    return units, how


def _pack(units: list[_Unit], durations: Sequence[float], total: float
          ) -> list[tuple[int, int, float]]:
    """The dynamic program: [(first unit, end unit, duration)] for the cheapest packing."""
    n = len(units)
    step = 2  # half seconds, as in shaping
    dur_units = sorted({round(d * step) for d in durations})
    goal = round(total * step)
    ok = reachable_totals(durations, total)
    story_seconds = sum(u.seconds for u in units) or 1.0
    ratio = total / story_seconds
    prefix = [0.0]
    for u in units:
        prefix.append(prefix[-1] + u.seconds)
    scene_changes = [0]
    for i in range(1, n):
        scene_changes.append(scene_changes[-1] + (units[i].scene != units[i - 1].scene))
    m_min = max(1, math.ceil(goal / dur_units[-1]))
    span = min(n, max(4, math.ceil(3 * n / m_min)))
    # best[i, t]: the least cost of packing the first i units into t half-seconds. Rows are
    # numpy vectors over t, so one (i, k, d) step updates every t at once: a pure-Python
    # loop over t made a 10-minute film on a 12-duration model take half a minute.
    best = np.full((n + 1, goal + 1), np.inf)
    best[0, 0] = 0.0
    prev_i = np.full((n + 1, goal + 1), -1, dtype=np.int64)
    prev_d = np.zeros((n + 1, goal + 1), dtype=np.int64)
    # states from which the rest of the film cannot be made exactly are dead ends
    dead = np.array([0.0 if ok[goal - t] else np.inf for t in range(goal + 1)])
    for i in range(n):
        row = best[i] + dead
        if not np.isfinite(row).any():
            continue
        for k in range(i + 1, min(n, i + span) + 1):
            need = (prefix[k] - prefix[i]) * ratio
            crossings = scene_changes[k - 1] - scene_changes[i]
            base = units[k - 1].cut_after + crossings * _CROSS_SCENE + _PER_SEGMENT
            for d in dur_units:
                if d > goal:
                    continue
                fit = 2.0 * math.log(max(need, 0.25) / (d / step)) ** 2
                cand = row[: goal + 1 - d] + (base + fit)
                target = best[k, d:]
                better = cand < target
                if better.any():
                    target[better] = cand[better]
                    prev_i[k, d:][better] = i
                    prev_d[k, d:][better] = d
    if not np.isfinite(best[n, goal]):
        raise ValueError("no packing reaches the total")  # pragma: no cover - guarded by ok[]
    out: list[tuple[int, int, float]] = []
    k, t = n, goal
    while k > 0:
        i, d = int(prev_i[k, t]), int(prev_d[k, t])
        out.append((i, k, d / step))
        k, t = i, t - d
    return out[::-1]


def _location_phrase(scene: Scene) -> str:
    if not scene.location:
        return ""
    bits = [scene.location]
    if scene.setting in ("interior", "exterior"):
        bits[0] = f"{scene.setting.capitalize()}, {scene.location.lower()}"
    if scene.time_of_day:
        bits.append(scene.time_of_day)
    return ", ".join(bits) + "."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…", "\"", "”")) else text + "."


def _short_title(text: str, limit: int = 26) -> str:
    text = re.sub(r"[\"“”]", "", text).rstrip(".!?…")
    head = re.split(r"[,;:—]\s*|\s+(?:while|as|and then)\s+", text)[0]
    words = (head if len(head.split()) >= 2 else text).split()
    while words and words[0].lower() in ("the", "a", "an", "then", "and", "now", "he", "she",
                                         "they", "it", "we", "i"):
        words = words[1:]
    while len(" ".join(words)) > limit and len(words) > 1:
        words = words[:-1]
    while len(words) > 1 and words[-1].lower() in ("the", "a", "an", "of", "to", "and", "in",
                                                   "at", "on", "with", "his", "her", "their",
                                                   "whose", "which", "that", "who", "as",
                                                   "while", "into", "from", "for", "by"):
        words = words[:-1]
    out = " ".join(words).rstrip(",;:—-")[:limit] or text[:limit]
    return out[:1].upper() + out[1:]


def _drop_introductions(text: str, found: Sequence[FoundCharacter]) -> str:
    """"Tomas (12), a boy in a green hoodie, hugs a box" → "Tomas hugs a box".

    The style bible already describes the character, and the composer repeats it in every
    prompt that names them; saying it again inside a beat only makes the prompt longer.
    """
    for c in found:
        if not c.described:
            continue
        text = re.sub(re.escape(c.name) + r"(?:\s+[A-Z][\w'-]+)?\s*(?:\(\d{1,2}s?\))?,\s+"
                      r"(?:a|an)\s[^,.;]{3,90},\s*", c.name + " ", text)
        text = re.sub(re.escape(c.name) + r"\s*\(\d{1,2}s?\)", c.name, text)
    return text


def _sound_clause(text: str) -> str:
    """The part of a sentence that is about sound ("the stadium crowd cheering")."""
    for clause in re.split(r"[,;]\s+|\s+(?:while|as|and)\s+", text.rstrip(".!?")):
        clause = re.sub(r"^(?:and|but|so|then)\s+", "", clause.strip(), flags=re.IGNORECASE)
        if (_SOUND.search(clause) and len(clause.split()) >= 3
                and not re.match(r"^(?:to|with|of|by|for|from|when|if|\w+ing|\w+ed)\b", clause,
                                 re.I)):
            return clause[:1].upper() + clause[1:]
    return ""


def _clip(text: str, limit: int = 60) -> str:
    text = text.strip().rstrip(".")
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


def _score(beat: StoryBeat, names: frozenset[str]) -> float:
    """How much a sentence is worth keeping when a segment has room for only some."""
    s = 0.0
    if any(re.search(r"\b" + re.escape(n) + r"\b", beat.text) for n in names):
        s += 2.0
    if not beat.setting:
        s += 1.0
    n = len(beat.text.split())
    s += 0.5 if 5 <= n <= 22 else 0.0
    s -= 1.0 if n < 4 else 0.0  # "Months passed." is not something a camera can film
    return s


def _select_actions(actions: list[StoryBeat], room: int, names: frozenset[str],
                    must: Sequence[int] = ()) -> list[StoryBeat]:
    if len(actions) <= room:
        return actions
    # the last action is where the cut lands (the finished action); the first sets it up;
    # ``must`` (the story's first and last moments) are never left out
    keep = {len(actions) - 1, *must}
    if len(keep) < room:
        # the opening moment: the best of the first few, so a throwaway line does not lead
        opening = range(min(3, len(actions) - 1))
        keep.add(max(opening, key=lambda j: (_score(actions[j], names), -j)))
    ranked = sorted(range(len(actions) - 1),
                    key=lambda j: (-_score(actions[j], names), j))
    for j in ranked:
        if len(keep) >= room:
            break
        keep.add(j)
    return [actions[j] for j in sorted(keep)]


def _palette(story: Story) -> str:
    text = " ".join(e.text.lower() for s in story.scenes for e in s.elements)
    counts = {c: len(re.findall(r"\b" + c + r"\b", text)) for c in _COLOURS}
    top = [c for c, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n > 0][:4]
    return ", ".join(top)


def plan_offline(
    story: Story,
    length: float,
    spec: ModelSpec,
    size: str,
    style: str | None = None,
    title: str = "",
) -> OfflinePlan:
    """Plan ``story`` as a film of about ``length`` seconds for the model ``spec``."""
    notes: list[str] = []
    story = split_prose_scenes(story)  # a change of time in prose is a new scene
    found = find_characters(story)
    things = find_things(story, found)
    entries = as_entries(found, things)
    names = frozenset(c.name for c in found)
    beats = split_beats(story, names)
    if not beats:
        raise ValueError("the story is empty: there is nothing to plan")
    places: list[str] = []
    times: list[str] = []
    for sc in story.scenes:  # a scene that does not say where or when stays where it was
        places.append(scene_place(sc) or (places[-1] if places else ""))
        times.append(scene_time(sc) or (times[-1] if times and not sc.heading else ""))
    durations = sorted(spec.durations)
    total = closest_total(durations, length)
    if abs(total - length) > 1e-9:
        notes.append(f"{fmt_seconds(length)} s cannot be made from {spec.id}'s "
                     f"{durations_text(durations)} segments; the plan is {fmt_seconds(total)} s, "
                     "the closest length it can make")
    n_scenes = len({b.scene for b in beats})
    shortest = n_scenes * durations[0]
    if total < shortest - 1e-9:
        notes.append(f"{fmt_seconds(total)} s is too short for this story: its {n_scenes} "
                     f"scenes need a shot each, so the shortest honest film is "
                     f"{fmt_seconds(shortest)} s; this plan squeezes them together, keeping "
                     "its first and last moments — plan it again at "
                     f"{fmt_seconds(shortest)} s or more")
    m_est = total / (sum(durations) / len(durations))
    m_min = max(1, math.ceil(total / durations[-1] - 1e-9))
    units, how = _units(beats, m_est, m_min)
    packing = _pack(units, durations, total)
    # who each beat shows, read in story order (a pronoun stands for the one last named)
    shows: dict[int, list[str]] = {}
    referents = Referents(entries, beats)
    for u in units:
        for b in u.beats:
            if id(b) not in shows:
                shows[id(b)] = referents.see(b)
    # the story's first and last moments are in every plan, whatever the length
    story_first, story_last = units[0].beats[0], units[-1].beats[-1]
    left_out: list[str] = []
    merged: list[int] = []

    story_seconds = sum(b.seconds for b in beats)
    if how in ("paragraph", "passage") or story_seconds > 1.6 * total:
        notes.append(f"the story reads as about {fmt_seconds(round(story_seconds))} s of "
                     f"action for a {fmt_seconds(total)} s film, so it is condensed: each "
                     "segment keeps the moments it cuts on and drops the rest — read the "
                     "actions and add back what matters")
    if how == "stretched":
        notes.append("the story has fewer moments than the film has segments, so some "
                     "segments continue the same action; add detail to the story or edit them")

    segments: list[Segment] = []
    seg_scene: list[int] = []
    dropped_lines = 0
    for n_seg, (i, k, duration) in enumerate(packing):
        seg_units = units[i:k]
        seg_beats = [b for u in seg_units for b in u.beats]
        continuation = seg_units[0].part > 0
        scene_idx = seg_beats[0].scene
        scene = story.scenes[scene_idx]
        if any(b.scene != scene_idx for b in seg_beats):
            notes.append(f"segment {n_seg + 1} spans more than one scene because the film is "
                         "too short to give each its own; consider a longer film")
        camera = next((b.camera for b in seg_beats if b.camera), "")
        actions = [b for b in seg_beats if b.kind is BeatKind.ACTION and not b.setting]
        settings = [b for b in seg_beats if b.kind is BeatKind.ACTION and b.setting]
        spoken = [(b.speaker, b.text) for b in seg_beats if b.kind is BeatKind.DIALOGUE]
        room = action_capacity(duration)
        must = [j for j, b in enumerate(actions) if b is story_first or b is story_last]
        chosen = _select_actions(actions, max(room, len(must)), names, must)
        dropped_here = [b for b in actions if not any(b is c for c in chosen)]
        if dropped_here and not continuation:
            quoted = ", ".join("“" + _clip(b.text) + "”" for b in dropped_here)
            left_out.append(f"segment {n_seg + 1} ({fmt_seconds(duration)} s) has room for "
                            f"{len(chosen)} of its {len(actions)} moments and leaves out "
                            f"{quoted}")
        if len(chosen) > 1 and not continuation:
            merged.append(n_seg + 1)
        texts = [_sentence(_drop_introductions(b.text, found)) for b in chosen]
        weights = [b.seconds for b in chosen]
        if continuation:
            texts = [f"{_sentence(t)[:-1]}, continuing" + "." for t in texts[-1:]]
            weights = weights[-1:]
        elif len(texts) < room and len(texts) == 1:
            # a shot-list line ("barista preparing coffee, steam rising") fills a long clip
            # better as its clauses, each with its own time
            clauses = split_clauses(chosen[0].text.rstrip("."))
            if 2 <= len(clauses) <= room:
                texts = [_sentence(c[:1].upper() + c[1:]) for c in clauses]
                weights = [len(c.split()) for c in clauses]
        timed = time_beats(texts, weights, duration)

        # the scene line: where we are, and what the story says it looks like
        scene_bits: list[str] = []
        loc = _location_phrase(scene)
        if loc:
            scene_bits.append(loc)
        # what the place looks like comes from where the segment starts, not from its end
        first_par = seg_beats[0].paragraph
        if not loc and places[scene_idx]:
            place = places[scene_idx]
            when = times[scene_idx]
            scene_bits.append(f"{place[:1].upper()}{place[1:]}" + (f", {when}." if when else "."))
        light = light_for(times[scene_idx], scene_weather(scene))
        if light:
            scene_bits.append(f"Light: {light}.")
        scene_bits.extend(_sentence(b.text) for b in
                          [b for b in settings if (len(b.text.split()) >= 5
                                                   and b.paragraph <= first_par + 1)
                           or b is story_first or b is story_last][:3])
        scene_text = " ".join(scene_bits)
        if not scene_text and segments and scene_idx == seg_scene[-1]:
            scene_text = segments[-1].scene  # same place: say it the same way, as the guide asks
        if not scene_text and not timed and settings:
            scene_text = _sentence(settings[0].text)

        if any(b is story_last for b in seg_beats) and story_last.kind is BeatKind.DIALOGUE:
            room_lines = max(dialogue_capacity(duration), 1)
            if len(spoken) > room_lines:  # the story's last line is kept, the earlier ones go
                spoken = spoken[:room_lines - 1] + spoken[-1:]
        dialogue, dropped = format_dialogue(spoken, duration)
        dropped_lines += dropped

        new_scene = not segments or scene_idx != seg_scene[-1]
        new_shot = bool(camera) and is_shot_cue(camera) and not continuation
        location_change = new_scene or (new_shot and is_location_cue(camera))
        continuity = Continuity.INDEPENDENT if (new_scene or new_shot) else Continuity.CHAIN
        if continuation:
            continuity = Continuity.CHAIN
        if not camera:  # framed from what the shot shows, so cards differ
            camera = framing([b.text for b in chosen], opens_scene=new_scene and not continuation,
                             place=places[scene_idx], last=n_seg == len(packing) - 1,
                             dialogue=bool(spoken))
        sound = next((_sound_clause(b.text) for b in seg_beats
                      if b.kind is BeatKind.ACTION and _SOUND.search(b.text)), "")
        place_kind = ("room tone" if scene.setting == "interior"
                      else "outdoor ambience" if scene.setting else "natural ambience")
        audio = sound or place_kind
        if dialogue:
            audio += ", clear dialogue"

        if new_scene and scene.location and not continuation:
            seg_title = _short_title(scene.location)
        else:
            # named after what it opens on: that is what a creator scans the timeline for
            key = texts[0] if texts else (settings[0].text if settings else seg_beats[0].text)
            seg_title = _short_title(key)
        if continuation:
            seg_title = _short_title(seg_title + " (cont.)")

        if segments and location_change:
            entry = scene.entry if new_scene else "dissolve"
            if entry in ("continuous", "time-cut"):
                # CONTINUOUS: the action runs straight on into the next place; "One stormy
                # night": the story jumps, a plain cut
                entry = "cut"
            elif entry == "cut" and scene.time_of_day and story.scenes[seg_scene[-1]].time_of_day \
                    and scene.time_of_day != story.scenes[seg_scene[-1]].time_of_day:
                entry = "fade"  # the time of day jumps: let the picture breathe
            elif entry in ("cut", "break"):
                # a "* * *" break is time passing; a heading is a new place
                entry = "fade" if entry == "break" and not scene.heading else "dissolve"
            prev = segments[-1]
            segments[-1] = prev.with_changes(
                transition_out=scene_transition(entry, prev.duration, duration))
        shown = [b for b in seg_beats if not any(b is d for d in dropped_here)]
        cast = in_order([n for b in shown for n in shows.get(id(b), ())], entries)
        segments.append(Segment(
            id=new_segment_id(), model=spec.id, size=size, duration=duration,
            title=seg_title, scene=scene_text, cinematography=camera, actions=timed,
            dialogue=dialogue, audio=audio, continuity=continuity, transition_out=Transition(),
            cast=cast,
        ))
        seg_scene.append(scene_idx)

    if left_out:
        notes.append(f"to fit {fmt_seconds(total)} s: " + "; ".join(left_out)
                     + " — the story's first and last moments are always kept")
    if merged and story_seconds > total:
        listed = ", ".join(str(n) for n in merged)
        notes.append(f"segment{'s' if len(merged) > 1 else ''} {listed} merge"
                     f"{'' if len(merged) > 1 else 's'} several moments of the story into one "
                     f"shot{' each' if len(merged) > 1 else ''}, to meet the length")
    if dropped_lines:
        notes.append(f"{dropped_lines} line{'s' if dropped_lines != 1 else ''} of dialogue "
                     "did not fit (one or two short lines per 12 s) and were left out")
    bible = StyleBible(
        style=style.strip() if style and style.strip() else DEFAULT_STYLE,
        palette=_palette(story),
        characters=entries,
        negative=DEFAULT_NEGATIVE,
    )
    if not (style and style.strip()):
        notes.append("no style given: a neutral cinematic style is in the style bible; "
                     "change it there and every prompt follows")
    _note_characters(found, things, notes)
    sb = Storyboard(title=title or story.title or "Untitled", default_model=spec.id,
                    default_size=size, style=bible, segments=tuple(segments))
    overlap = sum(t.duration for t in sb.transitions if not t.is_cut)
    if overlap:
        notes.append(f"the suggested transitions overlap {fmt_seconds(overlap)} s, so the film "
                     f"runs {fmt_seconds(total - overlap)} s; make them cuts to keep "
                     f"{fmt_seconds(total)} s")
    return OfflinePlan(sb, notes, shortest if total < shortest - 1e-9 else None, seg_scene, story)


def _note_characters(found: Sequence[FoundCharacter], things: Sequence[FoundThing],
                     notes: list[str]) -> None:
    if not found and not things:
        return
    bits = []
    if found:
        bits.append("characters in the style bible: " + ", ".join(c.name for c in found))
    if things:
        bits.append(("props and places" if found else "props and places in the style bible")
                    + ": " + ", ".join(f"{t.name} ({t.kind.value})" for t in things))
    notes.append("; ".join(bits) + " — each segment lists the cast that appears in it, so "
                 "their descriptions go into its prompt")
    vague = [c.name for c in found if not c.described]
    if vague:
        notes.append(f"the story does not say what {', '.join(vague)} look"
                     f"{'s' if len(vague) == 1 else ''} like: describe "
                     f"{'them' if len(vague) > 1 else 'this character'} in the style bible "
                     "so every shot draws the same person")
