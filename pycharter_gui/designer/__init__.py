"""The pycharter-gui desktop designer (PySide6). Imports only the engine's public API."""
