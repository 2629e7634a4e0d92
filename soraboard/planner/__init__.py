"""Planning a storyboard from a story: the offline planner and the LLM planner.

Pure Python, no Qt. The GUI's "New from story…" dialog and ``soraboard plan`` both call
:func:`plan_story` (or :func:`plan_story_file`) and show the :class:`PlanResult`.
"""

from soraboard.planner.config import (
    PlannerConfig,
    load_planner_config,
    planner_config_file,
    save_planner_config,
)
from soraboard.planner.plan import PlanError, PlanResult, plan_story, plan_story_file
from soraboard.planner.story import StoryFormat

__all__ = [
    "PlanError",
    "PlanResult",
    "PlannerConfig",
    "StoryFormat",
    "load_planner_config",
    "plan_story",
    "plan_story_file",
    "planner_config_file",
    "save_planner_config",
]
