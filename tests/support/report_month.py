"""The report tests' seeded month: the demo month of intake/services/demo_month.py (its figures are worked
out by hand in tests/integration/test_report.py, so the demo shows the same numbers)."""

from intake.services.demo_month import SANTIAGO, SeededMonth, at, nov, seed_month

__all__ = ["SANTIAGO", "SeededMonth", "at", "nov", "seed_month"]
