"""Qt item models: thin adapters over workspace and engine data."""
