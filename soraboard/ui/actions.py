"""Every menu and toolbar action, declared as data in one table.

The main window builds menus, the toolbar and shortcuts from this table and connects each
action to the method named in ``slot``: ``"owner.method"``, where the owner is one of the
window's controllers (``files``, ``edit``, ``generation``, ``preview``, ``imports``,
``keyframes``, ``voiceover``) or the ``window`` itself. Undo and redo come from the QUndoStack itself; the toolbar's order is
``TOOLBAR``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QKeySequence

StdKey = QKeySequence.StandardKey
#: one key: a portable string ("Ctrl+G") or a platform's standard key (StdKey.Save)
Key = str | StdKey


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    menu: str  #: top-level menu title ("" = not in a menu)
    slot: str  #: "owner.method": a controller (or "window") and its method
    icon: str = ""
    #: one key or several; a StandardKey stands for all of the platform's bindings of it
    shortcut: Key | tuple[Key, ...] | None = None
    tip: str = ""
    separator_before: bool = False
    needs_selection: bool = False
    checkable: bool = False
    #: "window": anywhere in the window; "media": only while the timeline or the player has
    #: focus (Space must not steal typing in text fields)
    context: str = "window"


MENUS = ["&File", "&Edit", "&Segment", "&Generate", "E&xport", "&View", "&Help"]

ACTIONS: list[ActionSpec] = [
    ActionSpec("file.new", "&New", "&File", "files.new_project", "new", StdKey.New,
               "Create a new storyboard"),
    ActionSpec("file.open", "&Open…", "&File", "files.open_project", "open", StdKey.Open,
               "Open a storyboard (a .soraboard folder)"),
    ActionSpec("file.save", "&Save", "&File", "files.save", "save", StdKey.Save,
               "Save the storyboard"),
    ActionSpec("file.save_as", "Save &As…", "&File", "files.save_as", "save", StdKey.SaveAs,
               "Save a copy of the project under a new name and continue there"),
    ActionSpec("file.from_story", "New from &Story…", "&File", "imports.new_from_story", "story",
               "Ctrl+Shift+N", "Plan a storyboard from a story or a screenplay",
               separator_before=True),
    ActionSpec("file.import", "&Import Clips or Images…", "&File", "imports.import_files", "import",
               "Ctrl+I", "Add video clips (as takes) or images (as references)"),
    ActionSpec("file.settings", "Se&ttings…", "&File", "window.open_settings", "settings",
               (StdKey.Preferences, "Ctrl+,"), "Providers, keys, defaults, ffmpeg, autosave",
               separator_before=True),
    ActionSpec("file.quit", "&Quit", "&File", "window.close", "quit", (StdKey.Quit, "Ctrl+Q"), "Quit soraboard",
               separator_before=True),
    ActionSpec("edit.undo", "&Undo", "&Edit", "undo.undo", "undo", StdKey.Undo,
               "Undo the last change"),
    # Ctrl+Shift+Z everywhere (it is StdKey.Redo on macOS and Linux, and one of Windows')
    ActionSpec("edit.redo", "&Redo", "&Edit", "undo.redo", "redo", (StdKey.Redo, "Ctrl+Shift+Z"),
               "Redo what was undone"),
    # Ctrl+N is File ▸ New (StdKey.New); Ctrl+T as in "new tab"
    ActionSpec("edit.add", "&Add Segment", "&Edit", "edit.add_segment", "add", "Ctrl+T",
               "Add a segment after the selected one (or at the end)",
               separator_before=True),
    ActionSpec("edit.insert", "&Insert Segment Before", "&Edit", "edit.insert_segment", "add",
               "Insert", "Insert a segment before the selected one"),
    ActionSpec("edit.duplicate", "&Duplicate", "&Edit", "edit.duplicate", "duplicate", "Ctrl+D",
               "Duplicate the selected segments", needs_selection=True),
    ActionSpec("edit.delete", "De&lete", "&Edit", "edit.delete_selected", "delete",
               # not StdKey.Delete: on Linux that includes Ctrl+D (Duplicate)
               ("Del", "Backspace"),
               "Delete the selected segments (their takes stay in the project)",
               needs_selection=True),
    ActionSpec("edit.select_all", "Select &All", "&Edit", "edit.select_all", "select-all",
               StdKey.SelectAll, "Select every segment"),
    ActionSpec("edit.history", "Undo &History", "&Edit", "window.show_history", "history", "",
               "Show every step you can undo", separator_before=True),
    ActionSpec("segment.move_left", "Move &Left", "&Segment", "edit.move_left", "frame-back",
               "Alt+Left", "Move the selected segment one place earlier", needs_selection=True),
    ActionSpec("segment.move_right", "Move &Right", "&Segment", "edit.move_right", "frame-forward",
               "Alt+Right", "Move the selected segment one place later", needs_selection=True),
    ActionSpec("segment.generate", "&Generate Selected", "&Segment", "generation.generate_selected",
               "generate", "Ctrl+G", "Generate (or regenerate) the selected segments",
               needs_selection=True, separator_before=True),
    ActionSpec("segment.cancel", "&Cancel Job", "&Segment", "generation.cancel_selected", "cancel", "",
               "Stop waiting for the selected segments' jobs", needs_selection=True),
    ActionSpec("generate.missing", "Generate &Missing && Stale", "&Generate", "generation.generate_missing",
               "generate", "Ctrl+Shift+G", "Generate every segment without a good take"),
    ActionSpec("generate.all", "Generate &All…", "&Generate", "generation.generate_all", "generate", "",
               "Generate every segment again"),
    ActionSpec("generate.keyframes", "Make &Keyframes for All Boundaries", "&Generate",
               "keyframes.make_keyframes_for_all", "keyframe", "",
               "Make a still for every boundary whose shot can end on one: both shots meet on "
               "it, so they generate in parallel", separator_before=True),
    ActionSpec("generate.cancel_all", "&Cancel All Jobs", "&Generate", "generation.cancel_all", "stop", "",
               "Stop every running job"),
    ActionSpec("generate.voiceover", "Render &Voice-over…", "&Generate", "voiceover.render",
               "play", "", "Speak the dialogue with the provider's voices (one per speaker) for "
               "the export's voice-over track — priced and asked first; rendered lines are "
               "kept and never paid again", separator_before=True),
    ActionSpec("generate.voices", "Voice-over V&oices…", "&Generate", "window.edit_voices",
               "settings", "", "Choose the text-to-speech model and each speaker's voice"),
    ActionSpec("generate.voiceover_cancel", "&Stop the Voice-over", "&Generate",
               "voiceover.cancel", "stop", "", "Stop after the line being spoken (the "
               "rendered lines are kept)"),
    ActionSpec("export.export", "&Export Film…", "E&xport", "window.export_film", "export", "Ctrl+E",
               "Export the storyboard as one MP4"),
    ActionSpec("view.play", "&Play / Pause", "&View", "preview.toggle_play", "play", "Space",
               "Play or pause the preview", context="media"),
    ActionSpec("view.frame_back", "Previous &Frame", "&View", "preview.frame_back", "frame-back",
               ",", "Step one frame back", context="media"),
    ActionSpec("view.frame_forward", "Next F&rame", "&View", "preview.frame_forward",
               "frame-forward", ".", "Step one frame forward", context="media"),
    ActionSpec("view.sequence", "Preview &Sequence", "&View", "preview.preview_sequence", "film",
               "Ctrl+Shift+P", "Play the whole storyboard"),
    ActionSpec("view.zoom_in", "Zoom &In", "&View", "window.zoom_in", "zoom-in",
               (StdKey.ZoomIn, "Ctrl+="),
               "Zoom the timeline in", separator_before=True),
    ActionSpec("view.zoom_out", "Zoom &Out", "&View", "window.zoom_out", "zoom-out", StdKey.ZoomOut,
               "Zoom the timeline out"),
    ActionSpec("help.about", "&About soraboard", "&Help", "window.show_about", "about", "",
               "Version, licences and links"),
]

#: the toolbar, left to right (None: a separator); the provider and budget chips follow
TOOLBAR: list[str | None] = [
    "file.new", "file.open", "file.save", "file.from_story", None,
    "edit.undo", "edit.redo", None,
    "edit.add", "edit.duplicate", None,
    "generate.missing", "export.export",
]
#: the toolbar's primary button (filled with the accent colour)
PRIMARY = "generate.missing"


def key_sequences(shortcut: Key | tuple[Key, ...] | None) -> list[QKeySequence]:
    """The key sequences a shortcut stands for on this platform, first the preferred one,
    without duplicates (a key bound twice to one action is ambiguous to Qt: it never fires)."""
    if shortcut is None or shortcut == "":
        return []
    keys = shortcut if isinstance(shortcut, tuple) else (shortcut,)
    out: list[QKeySequence] = []
    for key in keys:
        expanded = QKeySequence.keyBindings(key) if isinstance(key, StdKey) else [QKeySequence(key)]
        out.extend(k for k in expanded if not k.isEmpty() and k not in out)
    return out
