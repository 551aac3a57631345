"""The delivery loop's settings: defaults, parsing and refusals."""

from __future__ import annotations

import pytest

from intake.config import SettingsError, load_settings


def test_defaults_are_a_short_lease_a_pool_and_a_grace_period() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.outbox_lease_seconds == 15.0
    assert settings.outbox_concurrency == 16
    assert settings.outbox_stop_grace_seconds == 10.0


def test_values_are_read_from_the_environment() -> None:
    env = {"OUTBOX_LEASE_SECONDS": "6", "OUTBOX_CONCURRENCY": "4", "OUTBOX_STOP_GRACE_SECONDS": "2.5"}
    settings = load_settings(env, env_file=None)
    assert (settings.outbox_lease_seconds, settings.outbox_concurrency) == (6.0, 4)
    assert settings.outbox_stop_grace_seconds == 2.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUTBOX_CONCURRENCY", "0"),
        ("OUTBOX_CONCURRENCY", "many"),
        ("OUTBOX_LEASE_SECONDS", "-1"),
        ("OUTBOX_LEASE_SECONDS", "0.5"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value}, env_file=None)
