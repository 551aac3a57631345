"""Telegram text splitting, callback_data encoding and command normalization."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import Option
from channels.telegram.format import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_TEXT_LENGTH,
    callback_data_for,
    normalize_command,
    resolve_callback_data,
    split_text,
    telegram_length,
)


def _squash(text: str) -> str:
    return "".join(text.split())


def test_short_text_is_one_part() -> None:
    assert split_text("hola") == ["hola"]


def test_long_text_splits_at_paragraphs_under_the_limit() -> None:
    paragraph = ("Lorem ipsum dolor sit amet. " * 40).strip()  # ~1100 chars
    text = "\n\n".join([paragraph] * 9)
    parts = split_text(text)
    assert len(parts) == 3
    assert all(telegram_length(p) <= MAX_TEXT_LENGTH for p in parts)
    assert all(p.endswith("amet.") for p in parts)  # cut between paragraphs, not mid-sentence
    assert _squash("".join(parts)) == _squash(text)


def test_text_without_spaces_is_cut_hard() -> None:
    text = "x" * 10000
    parts = split_text(text)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_emoji_count_as_two_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert len(parts) == 2
    assert all(telegram_length(p) <= MAX_TEXT_LENGTH for p in parts)
    assert "".join(parts) == text


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab c.\n😀ñ")), min_size=0, max_size=3000
    ),
    limit=st.integers(min_value=5, max_value=400),
)
def test_split_keeps_every_character_and_respects_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(telegram_length(p) <= limit for p in parts)
    assert _squash("".join(parts)) == _squash(text)
    assert len(parts) == 1 or all(p.strip() for p in parts)


def test_short_option_ids_are_used_as_is() -> None:
    assert callback_data_for("urgency:high") == "urgency:high"
    assert callback_data_for("x" * MAX_CALLBACK_DATA_BYTES) == "x" * MAX_CALLBACK_DATA_BYTES


@pytest.mark.parametrize("option_id", ["x" * 65, "ñ" * 33, "survey:" + "é" * 40, ""])
def test_long_or_empty_ids_get_a_stable_hash_that_fits(option_id: str) -> None:
    data = callback_data_for(option_id)
    assert data != option_id
    assert len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    assert data == callback_data_for(option_id)


def test_hashed_ids_differ_and_resolve_back_to_the_offered_option() -> None:
    options = (Option("a" * 80, "Uno"), Option("a" * 79 + "b", "Dos"), Option("ok", "OK"))
    datas = [callback_data_for(o.id) for o in options]
    assert len(set(datas)) == 3
    assert [resolve_callback_data(d, options) for d in datas] == [o.id for o in options]
    assert resolve_callback_data("h:unknown", options) is None


@pytest.mark.parametrize(
    ("text", "username", "expected"),
    [
        ("/start", None, "/start"),
        ("/Estado LA-000123", None, "/estado LA-000123"),
        ("/estado@Intake_Test_Bot LA-1", "intake_test_bot", "/estado LA-1"),
        ("/ayuda@other_bot", "intake_test_bot", None),
        ("/ayuda@other_bot", None, "/ayuda"),
        ("/start@intake_test_bot", "@intake_test_bot", "/start"),
        ("/ no es comando", None, "/ no es comando"),
        ("hola /start", None, "hola /start"),
    ],
)
def test_normalize_command(text: str, username: str | None, expected: str | None) -> None:
    assert normalize_command(text, username) == expected
