"""How each transition type is rendered: the xfade name for the picture, and what the audio does.

Audio follows the picture: a dissolve, wipe or slide overlaps the two sounds (``acrossfade``);
a fade through a colour dips the sound to silence at the colour and comes back (fade out, then
fade in, no overlap), so the midpoint of a fade through black is dark *and* quiet.
"""

from __future__ import annotations

from enum import Enum

from soraboard.model.storyboard import TransitionType


class AudioJoin(str, Enum):
    """What the soundtrack does at a boundary."""

    CUT = "cut"  #: butt-joined
    CROSSFADE = "crossfade"  #: the two overlap, one fading out while the other fades in
    DIP = "dip"  #: fade out to silence, then fade in (fades through a colour)


#: ffmpeg ``xfade`` transition names
XFADE_NAMES: dict[TransitionType, str] = {
    TransitionType.FADE_BLACK: "fadeblack",
    TransitionType.FADE_WHITE: "fadewhite",
    TransitionType.CROSSFADE: "fade",
    TransitionType.WIPE_LEFT: "wipeleft",
    TransitionType.WIPE_RIGHT: "wiperight",
    TransitionType.SLIDE_LEFT: "slideleft",
    TransitionType.SLIDE_RIGHT: "slideright",
    TransitionType.CIRCLE_OPEN: "circleopen",
}


def xfade_name(kind: TransitionType) -> str:
    """The ``xfade=transition=`` value; a cut has none (raises KeyError)."""
    return XFADE_NAMES[kind]


def audio_join(kind: TransitionType) -> AudioJoin:
    """How the audio of two neighbours is joined under this picture transition."""
    if kind is TransitionType.CUT:
        return AudioJoin.CUT
    if kind in (TransitionType.FADE_BLACK, TransitionType.FADE_WHITE):
        return AudioJoin.DIP
    return AudioJoin.CROSSFADE
