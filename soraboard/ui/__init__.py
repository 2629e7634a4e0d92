"""The editor's widgets, dialogs and per-flow controllers (Qt)."""
