"""Widgets, forms and dialogs, built in code."""
