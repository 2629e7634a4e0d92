"""The generation engine: pure Python, no Qt.

Backends (the offline animatic, any OpenAI-Videos-compatible server), the reference-frame
pipeline, the scheduler that decides which segments may start, and the engine that journals
every take to the bundle so a crash never loses or duplicates a paid job.
"""
