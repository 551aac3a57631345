"""Helpers for the dialog (bot) tests."""
