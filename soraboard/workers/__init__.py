"""The only place the GUI app starts threads: QRunnable jobs on QThreadPools, whose results
come back as signals on the GUI thread (thumbnails, generation)."""
