"""Tests of the pure SLA engine (sla/)."""
