"""Reading a story: plain text, Markdown or a Fountain screenplay, into scenes of elements.

The reader is forgiving on purpose: creators paste briefs, prose and half-formatted
screenplays. It recognises what it can (scene headings, character cues, transitions, section
breaks, quoted dialogue in prose) and treats everything else as action text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class StoryFormat(str, Enum):
    TEXT = "text"
    MARKDOWN = "markdown"
    FOUNTAIN = "fountain"


class ElementKind(str, Enum):
    ACTION = "action"
    DIALOGUE = "dialogue"


@dataclass(frozen=True)
class Element:
    """One paragraph of action, or one spoken line (``speaker`` set)."""

    kind: ElementKind
    text: str
    speaker: str = ""


@dataclass(frozen=True)
class Scene:
    """A run of the story in one place. ``heading`` is empty for prose without headings."""

    heading: str = ""
    location: str = ""  #: "Kitchen" from "INT. KITCHEN - NIGHT"
    setting: str = ""  #: "interior", "exterior" or ""
    time_of_day: str = ""  #: "night" from "INT. KITCHEN - NIGHT"
    elements: tuple[Element, ...] = ()
    #: how the story itself says to enter this scene ("fade", "dissolve", "cut", "break")
    entry: str = ""


@dataclass(frozen=True)
class Story:
    title: str
    scenes: tuple[Scene, ...]
    format: StoryFormat
    #: character names the screenplay declares with cues (Fountain), in first-seen order
    cues: tuple[str, ...] = field(default_factory=tuple)

    @property
    def word_count(self) -> int:
        return sum(len(e.text.split()) for s in self.scenes for e in s.elements)


_HEADING = re.compile(
    r"^(?:\.(?!\.)(?P<forced>\S.*)|(?P<prefix>INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)[.\s]\s*(?P<rest>.*))$",
    re.IGNORECASE,
)
_TRANSITION = re.compile(r"^(?:>\s*(?P<forced>.+?)\s*<?|(?P<word>[A-Z][A-Z ]+ TO:"
                         r"|FADE (?:OUT|IN)[.:]?|FADE TO BLACK[.:]?|CUT TO BLACK[.:]?))$")
_SECTION_BREAK = re.compile(r"^\s*(?:\*\s*\*\s*\*[\s*]*|-{3,}|_{3,}|#|~{3,}|={3,})\s*$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_CUE = re.compile(r"^(?:@(?P<forced>[^\s(^][^(^]*?)|(?P<name>[A-Z][A-Z0-9 .'\-]*[A-Z0-9.']))"
                  r"\s*(?:\((?P<ext>[^)]*)\))?\s*\^?$")
_TITLE_KEY = re.compile(
    r"^(Title|Credit|Author|Authors|Source|Draft date|Contact|Notes)\s*:\s*(.*)$", re.IGNORECASE)
_NOT_CUES = frozenset({"THE END", "END", "CONTINUED", "MORE", "INTERCUT", "BACK TO SCENE",
                       "FADE IN", "FADE OUT", "TITLE", "SUPER", "MONTAGE", "LATER", "CONT'D"})


def read_story_file(path: Path | str) -> tuple[str, StoryFormat | None]:
    """The text of a story file and the format its extension implies (None = guess)."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows editors still save stories as cp1252; reading them beats refusing.
        text = raw.decode("cp1252", errors="replace")
    ext = p.suffix.lower()
    fmt = {".fountain": StoryFormat.FOUNTAIN, ".spmd": StoryFormat.FOUNTAIN,
           ".md": StoryFormat.MARKDOWN, ".markdown": StoryFormat.MARKDOWN}.get(ext)
    return text, fmt


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # Fountain boneyard
    text = re.sub(r"\[\[.*?\]\]", "", text, flags=re.DOTALL)  # Fountain notes
    return text.replace("\t", "    ")


def _unmark(text: str) -> str:
    """Strip Markdown/Fountain emphasis and list bullets, collapse whitespace."""
    text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text)
    text = re.sub(r"(\*{1,3}|_{1,2})(\S(?:.*?\S)?)\1", r"\2", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)  # links → their text
    return " ".join(text.split())


def guess_format(text: str) -> StoryFormat:
    lines = [ln.strip() for ln in _clean(text).split("\n")]
    headings = sum(1 for ln in lines if _HEADING.match(ln) and not ln.startswith(".."))
    cues = 0
    for i, ln in enumerate(lines[:-1]):
        prev_blank = i == 0 or not lines[i - 1]
        if prev_blank and lines[i + 1] and _is_cue(ln):
            cues += 1
    if headings >= 1 and (cues >= 1 or headings >= 2):
        return StoryFormat.FOUNTAIN
    if any(_MD_HEADING.match(ln) for ln in lines):
        return StoryFormat.MARKDOWN
    return StoryFormat.TEXT


def _is_cue(line: str) -> bool:
    m = _CUE.match(line)
    if m is None:
        return False
    if m["forced"]:
        return True
    name = (m["name"] or "").strip()
    return (
        any(c.isalpha() for c in name)
        and name not in _NOT_CUES
        and not _HEADING.match(line)
        and not _TRANSITION.match(line)
        and len(name.split()) <= 4
    )


def _cue_name(line: str) -> str:
    m = _CUE.match(line)
    assert m is not None
    name = (m["forced"] or m["name"] or "").strip()
    return name_case(name)


def name_case(name: str) -> str:
    """``"MARA"`` → ``"Mara"``, ``"DR. OKAFOR"`` → ``"Dr. Okafor"``; mixed case is kept."""
    if name.isupper():
        return " ".join(w[:1] + w[1:].lower() for w in name.split())
    return name


def _parse_heading(line: str) -> tuple[str, str, str, str]:
    """(heading, location, setting, time of day) of a scene heading line."""
    m = _HEADING.match(line)
    assert m is not None
    if m["forced"]:
        body, prefix = m["forced"].strip(), ""
    else:
        body, prefix = m["rest"].strip(), m["prefix"].upper()
    body = re.sub(r"\s*#[^#]*#\s*$", "", body)  # scene numbers
    parts = re.split(r"\s+[-–—]\s+", body)
    location = parts[0].strip(" .")
    time_of_day = parts[-1].strip(" .").lower() if len(parts) > 1 else ""
    setting = {"INT": "interior", "EXT": "exterior", "EST": "exterior"}.get(prefix, "")
    if prefix and prefix not in ("INT", "EXT", "EST"):
        setting = "interior and exterior"
    return line.strip(), name_case(location), setting, time_of_day


class _SceneBuilder:
    def __init__(self) -> None:
        self.scenes: list[Scene] = []
        self.current = Scene()
        self.elements: list[Element] = []
        self.pending_entry = ""

    def add(self, element: Element) -> None:
        if element.text.strip():
            self.elements.append(element)

    def cut(self, heading: str = "", location: str = "", setting: str = "",
            time_of_day: str = "", entry: str = "") -> None:
        self.flush()
        self.current = Scene(heading, location, setting, time_of_day,
                             entry=entry or self.pending_entry or ("cut" if heading else "break"))
        self.pending_entry = ""

    def flush(self) -> None:
        if self.elements:
            self.scenes.append(Scene(self.current.heading, self.current.location,
                                     self.current.setting, self.current.time_of_day,
                                     tuple(self.elements), self.current.entry))
        self.elements = []

    def done(self) -> tuple[Scene, ...]:
        self.flush()
        return tuple(self.scenes)


def _transition_word(line: str) -> str:
    up = line.upper()
    if "DISSOLVE" in up or "CROSS" in up:
        return "dissolve"
    if "FADE" in up or "BLACK" in up:
        return "fade"
    return "cut"


def parse_story(text: str, fmt: StoryFormat | None = None, title: str = "") -> Story:
    """Read ``text`` into a :class:`Story`; ``fmt`` None guesses the format from the text."""
    fmt = fmt or guess_format(text)
    lines = _clean(text).split("\n")
    story_title = title
    start = 0
    if fmt is StoryFormat.FOUNTAIN and lines and _TITLE_KEY.match(lines[0].strip()):
        # a title page: "Key: value" lines up to the first blank line
        while start < len(lines) and lines[start].strip():
            m = _TITLE_KEY.match(lines[start].strip())
            if m and m[1].lower() == "title" and not story_title:
                story_title = _unmark(m[2])
            start += 1
    if fmt is not StoryFormat.FOUNTAIN and not story_title:
        story_title, start = _title_line(lines)  # a screenplay names itself on its title page
    builder = _SceneBuilder()
    cues: list[str] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            builder.add(Element(ElementKind.ACTION, _unmark(" ".join(paragraph))))
            paragraph.clear()

    i = start
    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        prev_blank = i == 0 or not lines[i - 1].strip()
        if not line:
            end_paragraph()
            i += 1
            continue
        md = _MD_HEADING.match(line) if fmt is not StoryFormat.FOUNTAIN else None
        if md is not None:
            end_paragraph()
            heading = _unmark(md[2])
            if len(md[1]) == 1 and not story_title and not builder.scenes and not builder.elements:
                story_title = heading  # a leading "# Title" names the story
            else:
                builder.cut(heading, location=heading, entry="break")
            i += 1
            continue
        if _SECTION_BREAK.match(line):
            end_paragraph()
            builder.cut(entry="break")
            i += 1
            continue
        if prev_blank and _HEADING.match(line) and not line.startswith(".."):
            end_paragraph()
            builder.cut(*_parse_heading(line))
            i += 1
            continue
        tm = _TRANSITION.match(line)
        if prev_blank and tm is not None:
            end_paragraph()
            builder.pending_entry = _transition_word(tm["forced"] or tm["word"] or "")
            i += 1
            continue
        next_line = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if (fmt is StoryFormat.FOUNTAIN and prev_blank and next_line and not paragraph
                and _is_cue(line)):
            speaker = _cue_name(line)
            if speaker not in cues:
                cues.append(speaker)
            spoken: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip():
                part = lines[i].strip()
                if not (part.startswith("(") and part.endswith(")")):  # parentheticals
                    spoken.append(part)
                i += 1
            if spoken:
                builder.add(Element(ElementKind.DIALOGUE, _unmark(" ".join(spoken)), speaker))
            continue
        # Markdown bullets are one paragraph each, like a shot list.
        if fmt is StoryFormat.MARKDOWN and re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", raw):
            end_paragraph()
        paragraph.append(line)
        i += 1
    end_paragraph()
    scenes = builder.done()
    if cues:
        scenes = tuple(_name_case_cues(s, cues) for s in scenes)
    return Story(story_title, _inherit_times(scenes), fmt, tuple(cues))


_PLAIN_TITLE = re.compile(r"^title\s*:\s*(.+)$", re.IGNORECASE)


def _title_line(lines: list[str]) -> tuple[str, int]:
    """(title, first line after it) when the text opens with a title line, else ("", 0).

    A title is a short first line standing on its own (a blank line after it) that does not
    read as a sentence: no closing full stop, comma or colon, at most ten words, and more
    text after it. ``Title: …`` is a title whatever follows.
    """
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        return "", 0
    line = lines[first].strip()
    m = _PLAIN_TITLE.match(line)
    if m:
        return _unmark(m[1]).strip(), first + 1
    own_paragraph = first + 1 >= len(lines) or not lines[first + 1].strip()
    more = any(ln.strip() for ln in lines[first + 1:])
    if (own_paragraph and more and len(line.split()) <= 10
            and not line.endswith((".", ",", ";", ":", "…")) and not _HEADING.match(line)
            and not _TRANSITION.match(line)
            and not _SECTION_BREAK.match(line) and not _MD_HEADING.match(line)
            and not line.startswith(('"', "“", "-", "*", ">"))):
        return _unmark(line).rstrip("!?").strip() or _unmark(line), first + 1
    return "", 0


#: scene-heading "times" that say how the scene follows, not what time it is
_RELATIVE_TIMES = ("continuous", "later", "moments later", "same", "same time", "cont'd")


def _inherit_times(scenes: tuple[Scene, ...]) -> tuple[Scene, ...]:
    out: list[Scene] = []
    for s in scenes:
        if s.time_of_day in _RELATIVE_TIMES:
            entry = "cut" if s.time_of_day.startswith("cont") and s.entry == "cut" else s.entry
            prev_time = out[-1].time_of_day if out else ""
            s = Scene(s.heading, s.location, s.setting, prev_time, s.elements,
                      "continuous" if entry == "cut" and s.time_of_day.startswith("cont")
                      else entry)
        out.append(s)
    return tuple(out)


def _name_case_cues(scene: Scene, cues: list[str]) -> Scene:
    """Screenplays capitalise a character's first appearance (NADIA); prompts should not."""
    elements = []
    for e in scene.elements:
        text = e.text
        if e.kind is ElementKind.ACTION:
            for name in cues:
                text = re.sub(r"\b" + re.escape(name.upper()) + r"\b", name, text)
        elements.append(Element(e.kind, text, e.speaker))
    return Scene(scene.heading, scene.location, scene.setting, scene.time_of_day,
                 tuple(elements), scene.entry)
