"""Where and when each part of a story happens, and how to frame each shot, from its words.

A screenplay says it in its scene headings (``EXT. HARBOUR - NIGHT``); prose says it in its
sentences: "At dawn, he finds the boat in the harbour." This module reads prose the way a
script supervisor would:

* :func:`split_prose_scenes` starts a new scene where a sentence opens with a change of time
  ("At dawn", "The next morning", "One stormy night", "Later"), so a cut falls there and no
  shot is chained across it; the phrase also says how to get there (time passing fades);
* :func:`scene_place` / :func:`scene_time` / :func:`light_for` fill the scene line (place,
  time, light) so each card says where it is;
* :func:`framing` picks a camera line from what the shot shows, so cards differ.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from soraboard.planner.story import Element, ElementKind, Scene, Story

_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")

_TIME_WORDS = {
    "dawn": "dawn", "sunrise": "dawn", "daybreak": "dawn", "first light": "dawn",
    "morning": "morning", "noon": "day", "midday": "day", "afternoon": "afternoon",
    "dusk": "dusk", "sunset": "dusk", "twilight": "dusk", "nightfall": "dusk",
    "evening": "evening", "night": "night", "midnight": "night", "day": "day",
}
_TW = "|".join(sorted(_TIME_WORDS, key=len, reverse=True))
_WEATHER = r"stormy|rainy|foggy|misty|snowy|windy|cold|hot|quiet|dark|grey|gray|bright|sunny"
#: sentence openings that move the story to another time: a scene change
_TIME_SHIFT = re.compile(
    r"^(?:(?P<fade>(?:(?:a\s+few|many|two|three|several|some)\s+)?(?:hours?|days?|weeks?|months?"
    r"|years?|moments?|minutes?)\s+later|later(?:\s+(?:that|the\s+same)\s+(?:\w+))?"
    r"|the\s+(?:next|following)\s+(?:" + _TW + r"|week|month|year|spring|summer|autumn|winter)"
    r"|(?:at|by|before|after|until)\s+(?:" + _TW + r")"
    r"|by\s+the\s+(?:time|end)\b[^,]*|in\s+the\s+(?:" + _TW + r")|the\s+(?:" + _TW + r")\s+after)"
    r"|(?P<cut>meanwhile|elsewhere|(?:one|that|this|early\s+one|late\s+one|the\s+same)\s+"
    r"(?:(?:" + _WEATHER + r")\s+)?(?:" + _TW + r")))\b",
    re.IGNORECASE,
)
_TIME_ANY = re.compile(r"\b(" + _TW + r")s?\b", re.IGNORECASE)

#: nouns that name a place a shot can be set in (matched as the head of a noun phrase)
_PLACE_WORDS = """
lighthouse harbour harbor port quay dock docks pier jetty beach shore coast cliff cliffs sea
ocean bay island lake river bridge boat ship deck ferry kitchen bedroom room hall hallway
corridor office shop store bakery cafe café bar pub restaurant market square street road lane
alley avenue city town village station platform train bus car garage garden park field fields
forest woods wood meadow farm barn orchard mountain mountains valley hill hills desert cave
church school classroom library museum hospital ward stadium pitch arena stage theatre theater
studio house home cottage apartment flat attic basement cellar roof rooftop rooftops tower
castle palace temple courtyard yard playground airport runway hangar factory warehouse lab
laboratory bathroom shower lobby elevator lift stairwell staircase balcony terrace porch
waves rocks
"""
_PLACES = frozenset(_PLACE_WORDS.split())
#: place nouns that stand for a bigger place
_PLACE_ALIAS = {"waves": "sea", "rocks": "rocky shore"}
_LOCATIVE = re.compile(r"\b(?:in|at|on|inside|into|onto|across|over|through|near|by|from|of|"
                       r"outside|above|below|under|along|towards?|around|beside)\s+$",
                       re.IGNORECASE)
_NP = re.compile(r"\b(?:the|a|an|his|her|their|its|our|my)\s+((?:[a-zé'-]+)(?:\s+[a-zé'-]+){0,2})",
                 re.IGNORECASE)

_LIGHT = {
    "dawn": "soft pink and gold dawn light, long low shadows",
    "morning": "fresh clear morning daylight",
    "day": "bright even daylight",
    "afternoon": "warm afternoon sun",
    "evening": "warm low evening light",
    "dusk": "fading orange dusk light, deep blue sky",
    "night": "deep blue darkness and warm practical light",
}
_WEATHER_LIGHT = (
    (re.compile(r"\b(?:storm|stormy|thunder\w*|lightning|gale)\b", re.IGNORECASE),
     "storm light, driving rain and wind, flashes of cold light"),
    (re.compile(r"\b(?:rain|raining|rainy|drizzle|downpour)\b", re.IGNORECASE),
     "rain streaking the light, wet reflections"),
    (re.compile(r"\b(?:fog|foggy|mist|misty|haze)\b", re.IGNORECASE),
     "soft diffused light through the mist"),
    (re.compile(r"\b(?:snow|snowing|snowy|frost)\b", re.IGNORECASE),
     "cold white light off the snow"),
)


def _sentences(text: str) -> list[str]:
    return [p.strip() for p in _SENTENCE.split(text) if p.strip()]


def time_shift(sentence: str) -> str:
    """"fade" or "cut" when the sentence opens with a change of time, else ""."""
    m = _TIME_SHIFT.match(sentence.strip().lstrip("\"'“‘"))
    if m is None:
        return ""
    return "fade" if m["fade"] else "cut"


def split_prose_scenes(story: Story) -> Story:
    """Cut prose scenes (those without a heading) where a sentence changes the time."""
    out: list[Scene] = []
    for scene in story.scenes:
        if scene.heading:
            out.append(scene)
            continue
        current: list[Element] = []
        entry = scene.entry
        for element in scene.elements:
            if element.kind is not ElementKind.ACTION:
                current.append(element)
                continue
            run: list[str] = []
            for sentence in _sentences(element.text):
                shift = time_shift(sentence)
                if shift and (current or run):
                    if run:
                        current.append(Element(ElementKind.ACTION, " ".join(run)))
                    out.append(replace(scene, elements=tuple(current), entry=entry))
                    # "time-cut": a cut the planner keeps a cut (a heading's cut dissolves)
                    current, run, entry = [], [], "fade" if shift == "fade" else "time-cut"
                run.append(sentence)
            if run:
                current.append(Element(ElementKind.ACTION, " ".join(run)))
        if current:
            out.append(replace(scene, elements=tuple(current), entry=entry))
    return replace(story, scenes=tuple(out))


def scene_time(scene: Scene) -> str:
    """The scene's time of day: its heading's, else the first time word of its text."""
    if scene.time_of_day:
        return scene.time_of_day
    for e in scene.elements:
        m = _TIME_ANY.search(e.text)
        if m:
            return _TIME_WORDS[m[1].lower()]
    return ""


def scene_weather(scene: Scene) -> str:
    """What the weather does to the light, when the scene's text mentions it ("" if not)."""
    text = " ".join(e.text for e in scene.elements)
    for pattern, light in _WEATHER_LIGHT:
        if pattern.search(text):
            return light
    return ""


def scene_place(scene: Scene) -> str:
    """The scene's place: its heading's location, else the first place noun of its text
    ("the harbour" from "he finds the boat safe in the harbour"); "" when it names none."""
    if scene.location:
        return scene.location
    found = ""
    for e in scene.elements:
        if e.kind is not ElementKind.ACTION:
            continue
        for m in _NP.finditer(e.text):
            words = m[1].lower().split()
            # the longest run of words ending in a place noun: "bus station", not "bus"
            ends = [k for k in range(len(words)) if words[k] in _PLACES]
            if not ends:
                continue
            head = words[ends[-1]]
            if head in _PLACE_ALIAS:
                name = "the " + _PLACE_ALIAS[head]
            else:
                name = "the " + " ".join(words[:ends[-1] + 1])
            if _LOCATIVE.search(e.text[:m.start()]):
                return name  # "in the harbour": where the scene is
            found = found or name  # "a small boat": a place only if nothing says where
    return found


def light_for(time_of_day: str, weather: str = "") -> str:
    """The scene's light: its time of day's, then its weather's."""
    light = _LIGHT.get(time_of_day.lower().split()[-1] if time_of_day else "", "")
    if weather:
        return f"{light}; {weather}" if light and "storm" not in weather else weather
    return light


_CLOSE = re.compile(r"\b(?:polish\w*|writ\w*|pour\w*|open\w*|unfold\w*|read\w*|touch\w*|"
                    r"lights?|lit|strikes?\s+a\s+match|holds?|held|picks?\s+up|hands?|"
                    r"fingers|eyes|face|smiles?|tears?|whispers?|kiss\w*|ties?|sews?|"
                    r"cuts?|types?|dials?|rings?)\b", re.IGNORECASE)
_MOVE = re.compile(r"\b(?:climb\w*|walk\w*|run\w*|ran|race\w*|drive\w*|drove|rid\w*|"
                   r"chas\w*|follow\w*|cross\w*|wander\w*|hurr\w*|sprint\w*|dribbl\w*|"
                   r"flee\w*|fled|march\w*|swim\w*|sail\w*|descend\w*|ascend\w*)\b",
                   re.IGNORECASE)
_LOOK = re.compile(r"\b(?:sees?|saw|spots?|notices?|watch\w*|catch\w*|caught|finds?|found|"
                   r"looks?\s+(?:at|out|up|down|towards)|gazes?|stares?|waves?|waving)\b",
                   re.IGNORECASE)
_WIDE = re.compile(r"\b(?:sea|ocean|waves|storm|sky|horizon|crowd|stadium|city|valley|"
                   r"mountains?|harbou?r|rocks|fields?|desert|forest|skyline)\b", re.IGNORECASE)


def framing(texts: Sequence[str], *, opens_scene: bool, place: str, last: bool,
            dialogue: bool) -> str:
    """A camera line for a shot, from what its beats show.

    An opening shot establishes the place; movement is tracked, small hand-scale actions are
    close, seeing something far off is a point of view, speech is a medium close-up. The
    film's last shot pulls back, as endings usually do.
    """
    text = " ".join(texts)
    where = f" of {place}" if place else ""
    if opens_scene and not texts:
        shot = f"Wide establishing shot{where}, slow push-in"
    elif _MOVE.search(text):
        shot = "Tracking shot following the movement"
        if opens_scene:
            shot = f"Wide establishing shot{where}, then a tracking shot following the movement"
    elif _LOOK.search(text) and _WIDE.search(text):
        shot = "Wide shot over the scene, then a point-of-view shot towards what is seen"
    elif _CLOSE.search(text):
        shot = "Close-up on the hands and the detail, shallow depth of field"
        if opens_scene:
            shot = f"Establishing shot{where}, then a close-up on the hands and the detail"
    elif dialogue:
        shot = "Medium close-up on the speaker, over-the-shoulder reverse"
    elif _WIDE.search(text):
        shot = f"Wide shot{where}, slow drift"
    elif opens_scene:
        shot = f"Wide establishing shot{where}, slow push-in"
    else:
        shot = "Medium shot on the action, eye level"
    if last:
        shot += "; the camera slowly pulls back to end the film"
    return shot
