"""Where a film may be written: the rules the CLI's ``export -o`` and the export dialog share.

* An export never writes inside a project bundle except under its ``exports/`` folder (the
  storyboard, take records and paid media are never replaced by a film), whichever bundle
  it is and however the path is spelled (symbolic links are resolved first).
* It never replaces anything that is not a regular file (a folder, a device, a FIFO, a
  symbolic link).
* It replaces an existing file only when asked to (``--overwrite``; the dialog asks).
* The folder must exist and be writable: "cannot write to DIR: reason", before any work.

The default name carries the preset (``exports/City morning - final.mp4``), so a Final
export does not replace the Smart one.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from soraboard.storage.bundle import STORYBOARD_FILE, SUFFIX, Bundle, Project


class DestinationError(ValueError):
    """The film cannot be written there; the message is one line saying why."""


class DestinationExists(DestinationError):
    """A file is already there; replacing it needs ``--overwrite`` (or the user's yes)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; use --overwrite to replace it")
        self.path = path


@dataclass(frozen=True)
class Destination:
    """A checked place for the film."""

    path: Path  #: absolute, with its folder's symbolic links resolved
    replaces: bool  #: a regular file is there and will be replaced
    bundle: Bundle | None  #: the project bundle whose exports/ it is in, if any


def safe_file_name(text: str) -> str:
    """A title as a file name: no separators or control characters, not hidden."""
    name = re.sub(r"[^\w .()-]+", "_", text).strip(" ._-")
    return name[:120] or "film"


def default_destination(project: Project, preset: str) -> Path:
    """``<bundle>/exports/<title> - <preset>.mp4``."""
    title = project.storyboard.title.strip() or project.bundle.name
    return project.bundle.exports_dir / f"{safe_file_name(title)} - {preset}.mp4"


def _enclosing_bundle(path: Path) -> Path | None:
    """The nearest folder above ``path`` that is a soraboard project."""
    for folder in path.parents:
        if folder.name.endswith(SUFFIX) or (folder / STORYBOARD_FILE).exists():
            return folder
    return None


def _writable(folder: Path) -> None:
    """Raise :class:`DestinationError` unless a file can be created in ``folder``."""
    if not folder.exists():
        raise DestinationError(f"cannot write to {folder}: the folder does not exist")
    if not folder.is_dir():
        raise DestinationError(f"cannot write to {folder}: it is not a folder")
    try:
        fd, name = tempfile.mkstemp(prefix=".soraboard-write-test-", dir=folder)
    except OSError as e:
        raise DestinationError(f"cannot write to {folder}: {e.strerror or e}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def check_destination(target: Path | str, *, overwrite: bool = False,
                      create_folder: bool = False) -> Destination:
    """Check that a film may be written at ``target``; raise :class:`DestinationError` (or
    :class:`DestinationExists` when only ``overwrite`` is missing) with one line saying why."""
    given = Path(target).expanduser()
    if not given.name or given.name in (".", ".."):
        raise DestinationError(f"{given} is not a file name; give one for the film")
    folder = given.absolute().parent
    if create_folder and not folder.exists():
        # only ever a bundle's own exports/ folder or a folder the user named
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DestinationError(f"cannot write to {folder}: {e.strerror or e}") from None
    try:
        folder = folder.resolve(strict=False)
    except OSError as e:
        raise DestinationError(f"cannot write to {folder}: {e.strerror or e}") from None
    path = folder / given.name
    bundle_root = _enclosing_bundle(path)
    bundle: Bundle | None = None
    if bundle_root is not None:
        parts = path.relative_to(bundle_root).parts
        if len(parts) < 2 or parts[0] != "exports":
            raise DestinationError(
                f"{path} is inside the project {bundle_root.name}; an export never replaces "
                "its storyboard, takes or media — write to its exports/ folder or outside it")
        bundle = Bundle(bundle_root)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise DestinationError(f"cannot write to {path}: {e.strerror or e}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise DestinationError(f"{path} is a folder; give a file name for the film")
        if not stat.S_ISREG(st.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise DestinationError(f"{path} is {kind}; an export only ever replaces a "
                                   "regular file — choose another name")
        if not overwrite:
            raise DestinationExists(path)
    _writable(folder)
    return Destination(path, st is not None, bundle)
