"""Shared test support: fakes of the providers and the clock, signing helpers, scratch databases."""
