"""Every menu and toolbar action, declared as data in one table.

The main window builds menus, the toolbar and shortcuts from this table and connects each
action to the method named in ``slot``. Undo and redo come from the QUndoStack itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QKeySequence

StdKey = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    menu: str  #: top-level menu title ("" = not in a menu)
    slot: str  #: MainWindow method name
    icon: str = ""
    shortcut: str | StdKey | None = None
    tip: str = ""
    toolbar: bool = False
    separator_before: bool = False
    needs_selection: bool = False
    checkable: bool = False


MENUS = ["&File", "&Edit", "&Segment", "&Generate", "E&xport", "&View", "&Help"]

ACTIONS: list[ActionSpec] = [
    ActionSpec("file.new", "&New", "&File", "new_project", "new", StdKey.New,
               "Create a new storyboard", toolbar=True),
    ActionSpec("file.open", "&Open…", "&File", "open_project", "open", StdKey.Open,
               "Open a storyboard (a .soraboard folder)", toolbar=True),
    ActionSpec("file.save", "&Save", "&File", "save", "save", StdKey.Save,
               "Save the storyboard", toolbar=True),
    ActionSpec("file.save_as", "Save &As…", "&File", "save_as", "save", StdKey.SaveAs,
               "Save a copy of the project under a new name and continue there"),
    ActionSpec("file.from_story", "New from &Story…", "&File", "new_from_story", "story",
               "Ctrl+Shift+N", "Plan a storyboard from a story or a screenplay",
               toolbar=True, separator_before=True),
    ActionSpec("file.import", "&Import Clips or Images…", "&File", "import_files", "import",
               "Ctrl+I", "Add video clips (as takes) or images (as references)"),
    ActionSpec("file.settings", "Se&ttings…", "&File", "open_settings", "settings",
               StdKey.Preferences, "Providers, keys, defaults, ffmpeg, autosave",
               separator_before=True),
    ActionSpec("file.quit", "&Quit", "&File", "close", "quit", StdKey.Quit, "Quit soraboard",
               separator_before=True),
    ActionSpec("edit.add", "&Add Segment", "&Edit", "add_segment", "add", "Ctrl+N",
               "Add a segment after the selected one (or at the end)", toolbar=True,
               separator_before=True),
    ActionSpec("edit.insert", "&Insert Segment Before", "&Edit", "insert_segment", "add",
               "Insert", "Insert a segment before the selected one"),
    ActionSpec("edit.duplicate", "&Duplicate", "&Edit", "duplicate", "duplicate", "Ctrl+D",
               "Duplicate the selected segments", toolbar=True, needs_selection=True),
    ActionSpec("edit.delete", "De&lete", "&Edit", "delete_selected", "delete", StdKey.Delete,
               "Delete the selected segments (their takes stay in the project)",
               needs_selection=True),
    ActionSpec("edit.select_all", "Select &All", "&Edit", "select_all", "select-all",
               StdKey.SelectAll, "Select every segment"),
    ActionSpec("edit.history", "Undo &History", "&Edit", "show_history", "history", "",
               "Show every step you can undo", separator_before=True),
    ActionSpec("segment.move_left", "Move &Left", "&Segment", "move_left", "frame-back",
               "Alt+Left", "Move the selected segment one place earlier", needs_selection=True),
    ActionSpec("segment.move_right", "Move &Right", "&Segment", "move_right", "frame-forward",
               "Alt+Right", "Move the selected segment one place later", needs_selection=True),
    ActionSpec("segment.generate", "&Generate Selected", "&Segment", "generate_selected",
               "generate", "Ctrl+G", "Generate (or regenerate) the selected segments",
               needs_selection=True, separator_before=True),
    ActionSpec("segment.cancel", "&Cancel Job", "&Segment", "cancel_selected", "cancel", "",
               "Stop waiting for the selected segments' jobs", needs_selection=True),
    ActionSpec("generate.missing", "Generate &Missing && Stale", "&Generate", "generate_missing",
               "generate", "Ctrl+Shift+G", "Generate every segment without a good take",
               toolbar=True),
    ActionSpec("generate.all", "Generate &All…", "&Generate", "generate_all", "generate", "",
               "Generate every segment again"),
    ActionSpec("generate.cancel_all", "&Cancel All Jobs", "&Generate", "cancel_all", "stop", "",
               "Stop every running job"),
    ActionSpec("export.export", "&Export Film…", "E&xport", "export_film", "export", "Ctrl+E",
               "Export the storyboard as one MP4", toolbar=True),
    ActionSpec("view.play", "&Play / Pause", "&View", "toggle_play", "play", "Space",
               "Play or pause the preview"),
    ActionSpec("view.sequence", "Preview &Sequence", "&View", "preview_sequence", "film",
               "Ctrl+Shift+P", "Play the whole storyboard"),
    ActionSpec("view.zoom_in", "Zoom &In", "&View", "zoom_in", "zoom-in", StdKey.ZoomIn,
               "Zoom the timeline in", separator_before=True),
    ActionSpec("view.zoom_out", "Zoom &Out", "&View", "zoom_out", "zoom-out", StdKey.ZoomOut,
               "Zoom the timeline out"),
    ActionSpec("help.about", "&About soraboard", "&Help", "show_about", "about", "",
               "Version, licences and links"),
]
