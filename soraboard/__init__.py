"""soraboard — a storyboard editor for long AI-generated videos."""

__version__ = "0.1.0"
