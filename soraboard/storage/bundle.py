"""The project bundle: a folder ``Name.soraboard/``.

::

    Name.soraboard/
      storyboard.json     the storyboard (written only by a save of the document)
      takes/<id>.json     one record per take (written only by the generation engine/import)
      stills/<id>.json    one record per still asked of an image model (its slot, request, cost)
      media/              take files, reference frames, stills, thumbnails
      exports/            finished films
      history/            the previous versions of storyboard.json (bounded)

Loading never writes. A bad file raises :class:`ProjectError` naming the file, what is
wrong and where, and the file is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from soraboard import __version__
from soraboard.model.storyboard import Storyboard
from soraboard.model.take import StillRecord, Take, TakeStatus
from soraboard.storage.atomic import atomic_write_bytes, atomic_write_json, dumps_json
from soraboard.storage.codec import (
    check_relative_path,
    still_from,
    still_to_dict,
    storyboard_from,
    storyboard_to_dict,
    take_from,
    take_to_dict,
)
from soraboard.storage.errors import ProjectError, SchemaError
from soraboard.storage.migrations import SCHEMA_VERSION, migrate

SUFFIX = ".soraboard"
STORYBOARD_FILE = "storyboard.json"
TAKE_SCHEMA_VERSION = 1
STILL_SCHEMA_VERSION = 1
MAX_HISTORY = 30
MAX_FILE_BYTES = 16 * 1024 * 1024  # a storyboard of 300 segments is ~1 MB
_TAKE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_STILL_ID = re.compile(r"^still_[a-f0-9]{1,64}$")


def bundle_path_for(path: Path | str) -> Path:
    """``film`` → ``film.soraboard``; ``film.soraboard/storyboard.json`` → the folder."""
    p = Path(path)
    if p.name == STORYBOARD_FILE:
        return p.parent
    return p if p.suffix == SUFFIX else p.with_name(p.name + SUFFIX)


def read_limited(file: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a device, FIFO, socket or a
    larger file raises :class:`ProjectError` without blocking or reading it."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below)
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ProjectError(file, "the file does not exist") from None
    except OSError as e:
        raise ProjectError(file, f"cannot read the file ({e.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else \
                "a device, FIFO or socket"
            raise ProjectError(file, f"is {kind}, not a regular file; it is not read")
        if st.st_size > limit:
            raise ProjectError(file, f"the file is {st.st_size / 1_048_576:.0f} MB; a project "
                                     f"file is never over {limit // 1_048_576} MB, so it is "
                                     "damaged or not one")
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise ProjectError(file, f"cannot read the file ({e.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > limit:  # it grew while being read
        raise ProjectError(file, f"the file is over {limit // 1_048_576} MB")
    return raw


def read_json_file(file: Path) -> object:
    """A project JSON file (regular, under the size limit), parsed; ProjectError otherwise."""
    raw = read_limited(file)
    if not raw.strip():
        raise ProjectError(file, "the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProjectError(file, "the file is not UTF-8 text", f"byte {e.start}") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ProjectError(file, "the JSON is nested too deeply to be a project file") from None
    except json.JSONDecodeError as e:
        body = text.rstrip()
        cut_short = body.startswith("{") and e.lineno >= body.count("\n") + 1
        what = "the file is not valid JSON" + (
            " (it looks cut short)" if cut_short else f": {e.msg}")
        raise ProjectError(file, what, f"line {e.lineno}, column {e.colno}") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise ProjectError(file, f"the file is not valid JSON: {str(e)[:80]}") from None


@dataclass
class Project:
    """A loaded bundle: the storyboard and every take recorded in it."""

    bundle: Bundle
    storyboard: Storyboard
    takes: dict[str, Take] = field(default_factory=dict)
    #: things worth telling the user that did not stop the load (an unreadable take record …)
    warnings: list[str] = field(default_factory=list)
    #: keyframe stills asked of an image model (what they cost), by record id
    stills: dict[str, StillRecord] = field(default_factory=dict)


class Bundle:
    def __init__(self, path: Path | str) -> None:
        self.path = bundle_path_for(path).absolute()
        #: the path as the user gave it (``film`` for ``film.soraboard``), for error messages
        self.given = Path(path)

    def __repr__(self) -> str:
        return f"Bundle({str(self.path)!r})"

    @property
    def name(self) -> str:
        return self.path.name[: -len(SUFFIX)] if self.path.name.endswith(SUFFIX) else self.path.name

    @property
    def storyboard_file(self) -> Path:
        return self.path / STORYBOARD_FILE

    @property
    def takes_dir(self) -> Path:
        return self.path / "takes"

    @property
    def media_dir(self) -> Path:
        return self.path / "media"

    @property
    def exports_dir(self) -> Path:
        return self.path / "exports"

    @property
    def history_dir(self) -> Path:
        return self.path / "history"

    # ---------------------------------------------------------------- create / open

    @classmethod
    def create(cls, path: Path | str, storyboard: Storyboard) -> Bundle:
        """Make a new bundle; refuses to overwrite anything that is already there."""
        b = cls(path)
        if b.path.exists() and (not b.path.is_dir() or any(b.path.iterdir())):
            raise ProjectError(b.path, "already exists; choose another name or open it")
        try:
            b.path.mkdir(parents=True, exist_ok=True)
            b.ensure_layout()
            b.save(storyboard)
        except OSError as e:
            raise ProjectError(b.path, f"cannot create the project ({e.strerror or e})") from None
        return b

    def ensure_layout(self) -> None:
        for d in (self.takes_dir, self.media_dir, self.exports_dir, self.history_dir):
            d.mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        return self.storyboard_file.is_file()

    # ---------------------------------------------------------------- storyboard

    def load_storyboard(self) -> Storyboard:
        if not self.path.exists():
            # say it about the path the user typed, not one with .soraboard added to it
            given = self.given if self.given.name != STORYBOARD_FILE else self.path
            if given != self.path and given.exists():
                raise ProjectError(given, f"not a soraboard project (a project is a folder "
                                          f"ending in {SUFFIX} with a {STORYBOARD_FILE})")
            raise ProjectError(given, "no such project")
        if not self.path.is_dir():
            raise ProjectError(self.path, f"not a soraboard project (a project is a folder "
                                          f"ending in {SUFFIX} with a {STORYBOARD_FILE})")
        return self.decode_storyboard_file(self.storyboard_file)

    @staticmethod
    def decode_storyboard_file(file: Path) -> Storyboard:
        doc = read_json_file(file)
        if not isinstance(doc, dict):
            raise ProjectError(file, "expected a JSON object at the top level")
        try:
            doc = migrate(doc)
            if "storyboard" not in doc:
                raise SchemaError("storyboard", "a required field is missing")
            return storyboard_from(doc["storyboard"])
        except SchemaError as e:
            raise ProjectError(file, e.what, e.where) from None

    def save(self, storyboard: Storyboard) -> None:
        """Write storyboard.json atomically, keeping the version it replaces in history/."""
        doc = {
            "schema_version": SCHEMA_VERSION,
            "generator": f"soraboard {__version__}",
            "storyboard": storyboard_to_dict(storyboard),
        }
        data = dumps_json(doc).encode("utf-8")
        try:  # never write what a load would refuse (a 200,000-character prompt …)
            storyboard_from(json.loads(data)["storyboard"])
        except SchemaError as e:
            raise ProjectError(self.storyboard_file, "cannot be saved: " + e.what,
                               e.where) from None
        self.ensure_layout()
        try:
            old = self.storyboard_file.read_bytes()
        except FileNotFoundError:
            old = None
        if old is not None and old != data:
            self._push_history(old)
        atomic_write_bytes(self.storyboard_file, data)

    def _push_history(self, data: bytes) -> None:
        # A sequence number first, so names sort in save order even within one second and
        # after old versions were pruned; the UTC time is for people reading the folder.
        versions = self.history()
        last = versions[-1].name.split("-")[1] if versions else "0"
        seq = int(last) + 1 if last.isdigit() else len(versions) + 1
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        atomic_write_bytes(self.history_dir / f"storyboard-{seq:06d}-{stamp}.json", data)
        for old in self.history()[:-MAX_HISTORY]:
            with contextlib.suppress(OSError):
                old.unlink()

    def history(self) -> list[Path]:
        """Earlier versions of storyboard.json, oldest first."""
        if not self.history_dir.is_dir():
            return []
        return sorted(self.history_dir.glob("storyboard-*.json"))

    def restore(self, version: Path) -> Storyboard:
        """Make an earlier version current (the current one goes to history first)."""
        sb = self.decode_storyboard_file(version)
        self.save(sb)
        return sb

    # ---------------------------------------------------------------- takes

    def take_file(self, take_id: str) -> Path:
        if not _TAKE_ID.match(take_id):
            raise ValueError(f"invalid take id {take_id!r}")
        return self.takes_dir / f"{take_id}.json"

    def write_take(self, take: Take) -> None:
        """Record a take atomically (the generation engine's journal)."""
        self.takes_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.take_file(take.id),
                          {"schema_version": TAKE_SCHEMA_VERSION, "take": take_to_dict(take)})

    def read_take(self, file: Path) -> Take:
        doc = read_json_file(file)
        if not isinstance(doc, dict):
            raise ProjectError(file, "expected a JSON object at the top level")
        version = doc.get("schema_version")
        if version != TAKE_SCHEMA_VERSION:
            raise ProjectError(file, f"unknown take schema {version!r}", "schema_version")
        try:
            take = take_from(doc.get("take"))
        except SchemaError as e:
            raise ProjectError(file, e.what, e.where) from None
        if f"{take.id}.json" != file.name:
            raise ProjectError(file, f"the record is for take {take.id!r}, not this file",
                               "take.id")
        return take

    def load_takes(self) -> tuple[dict[str, Take], list[str]]:
        """Every readable take record, and a warning for each unreadable one (left untouched)."""
        takes: dict[str, Take] = {}
        warnings: list[str] = []
        if not self.takes_dir.is_dir():
            return takes, warnings
        for f in sorted(self.takes_dir.glob("*.json")):
            try:
                t = self.read_take(f)
            except ProjectError as e:
                warnings.append(f"take record skipped, left as it is: {e}")
                continue
            takes[t.id] = t
        return takes, warnings

    # ---------------------------------------------------------------- stills

    @property
    def stills_dir(self) -> Path:
        """The still records (``stills/<id>.json``); their images are in ``media/stills``."""
        return self.path / "stills"

    def write_still(self, record: StillRecord) -> None:
        """Record a keyframe still atomically (journaled before the image model is called)."""
        if not _STILL_ID.match(record.id):
            raise ValueError(f"invalid still id {record.id!r}")
        self.stills_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.stills_dir / f"{record.id}.json",
                          {"schema_version": STILL_SCHEMA_VERSION, "still": still_to_dict(record)})

    def load_stills(self) -> tuple[dict[str, StillRecord], list[str]]:
        """Every readable still record, and a warning for each unreadable one (left as it is)."""
        out: dict[str, StillRecord] = {}
        warnings: list[str] = []
        if not self.stills_dir.is_dir():
            return out, warnings
        for f in sorted(self.stills_dir.glob("*.json")):
            try:
                doc = read_json_file(f)
                if not isinstance(doc, dict) or doc.get("schema_version") != STILL_SCHEMA_VERSION:
                    raise ProjectError(f, "not a still record of a known schema",
                                       "schema_version")
                try:
                    record = still_from(doc.get("still"))
                except SchemaError as e:
                    raise ProjectError(f, e.what, e.where) from None
                if f"{record.id}.json" != f.name:
                    raise ProjectError(f, f"the record is for still {record.id!r}, not this "
                                          "file", "still.id")
            except ProjectError as e:
                warnings.append(f"still record skipped, left as it is: {e}")
                continue
            out[record.id] = record
        return out, warnings

    def input_hashes(self, paths: Iterable[str]) -> dict[str, str | None]:
        """The sha256 of each bundle-relative image as it is now (None: not there or not
        readable), for staleness. Cached per file by size and modification time, so calling
        it on every refresh reads only what changed."""
        out: dict[str, str | None] = {}
        for rel in paths:
            try:
                p = self.resolve(rel)
                st = p.stat()
            except (ProjectError, SchemaError, OSError):
                out[rel] = None
                continue
            key = (str(p), st.st_size, st.st_mtime_ns)
            digest = _HASHES.get(key)
            if digest is None:
                try:
                    digest = _sha256_file(p)
                except OSError:
                    out[rel] = None
                    continue
                _HASHES[key] = digest
            out[rel] = digest
        return out

    # ---------------------------------------------------------------- paths

    def resolve(self, relative: str) -> Path:
        """The absolute path of a bundle-relative path; refuses anything outside the bundle
        (including through symbolic links)."""
        check_relative_path(relative, "path")
        p = (self.path / relative).resolve()
        root = self.path.resolve()
        if p != root and root not in p.parents:
            raise ProjectError(self.path / relative, "points outside the project folder")
        try:
            mode = p.stat().st_mode
        except OSError:
            return p  # not there (yet): the caller says what is missing
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            # a FIFO would hang ffmpeg, a device would feed it forever
            raise ProjectError(self.path / relative, "is a device, FIFO or socket, not a file")
        return p

    def relative(self, path: Path) -> str:
        """The bundle-relative POSIX path of a file inside the bundle."""
        return Path(os.path.relpath(Path(path).absolute(), self.path)).as_posix()


#: (absolute path, size, mtime_ns) → sha256 of the file: hashes outlive a Bundle object
_HASHES: dict[tuple[str, int, int], str] = {}


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _file_present(bundle: Bundle, relative: str) -> bool:
    try:
        return bundle.resolve(relative).is_file()
    except (ProjectError, SchemaError, OSError):
        return False


def load_project(path: Path | str) -> Project:
    """Open a bundle: the storyboard, its takes, and any warnings. Never writes."""
    b = Bundle(path)
    sb = b.load_storyboard()
    takes, warnings = b.load_takes()
    for t in list(takes.values()):
        if t.status is TakeStatus.DONE and t.file and not _file_present(b, t.file):
            takes[t.id] = t.with_changes(file_missing=True)
    for i, s in enumerate(sb.segments, start=1):
        if s.chosen_take and s.chosen_take not in takes:
            warnings.append(f"segment {i} chose take {s.chosen_take!r}, whose record is "
                            "missing; it is shown as having no take")
    stills, still_warnings = b.load_stills()
    return Project(b, sb, takes, warnings + still_warnings, stills=stills)


def create_project(path: Path | str, storyboard: Storyboard) -> Project:
    return Project(Bundle.create(path, storyboard), storyboard)
