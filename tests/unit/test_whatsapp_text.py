"""Polite splitting of long WhatsApp texts and numbered options."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import Option
from channels.whatsapp.text import TEXT_LIMIT, numbered_options, split_text, utf16_len


def _words(text: str) -> list[str]:
    return re.split(r"\s+", text.strip()) if text.strip() else []


def test_short_text_is_one_part() -> None:
    assert split_text("  Hola, ¿en qué le ayudamos?  ") == ["Hola, ¿en qué le ayudamos?"]


def test_empty_text_has_no_parts() -> None:
    assert split_text("   \n ") == []


def test_limit_is_1600_characters() -> None:
    assert TEXT_LIMIT == 1600
    assert split_text("a" * 1600) == ["a" * 1600]
    assert [len(p) for p in split_text("a" * 1601)] == [1600, 1]


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    first = "Primer párrafo. " * 60  # ~960 chars
    second = "Segundo párrafo. " * 60
    parts = split_text(f"{first.strip()}\n\n{second.strip()}")
    assert parts == [first.strip(), second.strip()]


def test_cuts_at_a_sentence_end_rather_than_mid_sentence() -> None:
    sentence = "El sistema no permite validar la factura electrónica del cliente. "
    parts = split_text(sentence * 40)
    assert len(parts) == 2
    assert all(part.endswith(".") for part in parts)
    assert all(utf16_len(part) <= TEXT_LIMIT for part in parts)


def test_cuts_at_a_word_when_there_is_no_sentence_end() -> None:
    parts = split_text("palabra " * 400)
    assert len(parts) == 2
    assert all(not part.endswith("palab") for part in parts)
    assert " ".join(parts).split() == ["palabra"] * 400


def test_emoji_count_as_two_units() -> None:
    parts = split_text("😀" * 1000)
    assert [len(p) for p in parts] == [800, 200]
    assert all(utf16_len(p) <= TEXT_LIMIT for p in parts)


def test_rejects_a_non_positive_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_text("hola", 0)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("abcdeñ áé.!?\n😀")),
        min_size=0,
        max_size=5000,
    ),
    limit=st.integers(min_value=5, max_value=400),
)
def test_parts_fit_keep_order_and_lose_no_word(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < utf16_len(part) <= limit for part in parts)
    assert all(part == part.strip() for part in parts)
    rejoined = "".join(parts)
    assert re.sub(r"\s", "", rejoined) == re.sub(r"\s", "", text)
    # Words are never cut unless a single word is longer than the limit.
    if all(utf16_len(word) <= limit // 2 for word in _words(text)):
        assert [w for p in parts for w in _words(p)] == _words(text)


def test_numbered_options_are_appended_after_a_blank_line() -> None:
    options = (Option("high", "Alto"), Option("medium", "Medio"), Option("low", "Bajo"))
    assert numbered_options("¿Cuál es el impacto?", options) == (
        "¿Cuál es el impacto?\n\n1. Alto\n2. Medio\n3. Bajo"
    )


def test_numbered_options_without_text_or_options() -> None:
    assert numbered_options("", (Option("y", "Sí"), Option("n", "No"))) == "1. Sí\n2. No"
    assert numbered_options("Solo texto", ()) == "Solo texto"
