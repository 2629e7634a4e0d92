"""ffmpeg discovery, running and probing: pure Python, shared by generation and stitch."""
