"""Validation and survey answers read from an e-mail reply's own text (es/en/pt)."""

from __future__ import annotations

import pytest

from bot.mail_answers import MailAnswer, survey_answer, validation_answer


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Sí, funciona. Gracias", MailAnswer(accepted=True, comment="funciona. Gracias")),
        ("Hola,\nsi", MailAnswer(accepted=True)),
        (
            "Yes, it works now. Thank you!\n\nLucia",
            MailAnswer(accepted=True, comment="it works now. Thank you!\nLucia"),
        ),
        ("Sim", MailAnswer(accepted=True)),
        (
            "No, sigue igual con el usuario jperez",
            MailAnswer(accepted=False, comment="sigue igual con el usuario jperez"),
        ),
        ("No, it still fails", MailAnswer(accepted=False, comment="it still fails")),
        ("Não, o erro continua.", MailAnswer(accepted=False, comment="o erro continua.")),
        ("1", MailAnswer(accepted=True)),
        ("2", MailAnswer(accepted=False)),
    ],
)
def test_validation_answers(reply: str, expected: MailAnswer) -> None:
    assert validation_answer(reply) == expected


@pytest.mark.parametrize(
    "reply", ["", "Revisé el sistema y todavía tengo dudas sobre el proceso", "Adjunto otra captura"]
)
def test_a_reply_that_is_not_a_validation_answer(reply: str) -> None:
    assert validation_answer(reply) is None


@pytest.mark.parametrize(
    ("reply", "rating", "comment"),
    [
        ("5", 5, None),
        ("4/5", 4, None),
        ("excelente", 5, None),
        ("Excelente, muy rápidos", 5, "muy rápidos"),
        ("⭐⭐⭐", 3, None),
        ("Good - quick answer\nMark", 4, "quick answer\nMark"),
        ("muito bom", 5, None),
        ("10/10", 5, None),
    ],
)
def test_survey_answers(reply: str, rating: int, comment: str | None) -> None:
    assert survey_answer(reply) == MailAnswer(rating=rating, comment=comment)


@pytest.mark.parametrize("reply", ["0", "7", "the service was slow but fine in the end", ""])
def test_a_reply_that_is_not_a_rating(reply: str) -> None:
    assert survey_answer(reply) is None
