"""Which language a customer wrote in (es, en or pt), from the words only those languages use.

Stop-word counting over the normalized text: each language has a list of short, frequent words the other
two do not share once accents are stripped ("el", "los", "usted" / "the", "and", "please" / "nao", "voce",
"obrigado"). The language with the most hits wins when it leads clearly; otherwise Spanish, the default.
"""

from __future__ import annotations

from bot.parsing import normalize

DEFAULT = "es"
MIN_HITS = 2
_LIMIT = 4000  # characters looked at: a long message's start says enough


def _word_set(words: str) -> frozenset[str]:
    """A space-separated list of words as a set."""
    return frozenset(words.split())


_WORDS: dict[str, frozenset[str]] = {
    "es": _word_set(
        "el la los las del al es y pero muy hay hola gracias usted ustedes cuando tambien puede podemos "
        "tenemos tiene hoy manana despues sin ya eso esto fue son donde cual aparece ahora saludos "
        "atentamente quedo quedaron necesitamos nuestro nuestra buenos buenas estimado estimados favor "
        "ayuda pueden hace hacer porque"
    ),
    "en": _word_set(
        "the and is are we you i it to of in on for with this that not please thanks thank hello hi dear "
        "our can cannot since have has be was were when invoice after regards best would could there any "
        "all out get got yesterday today users user issue"
    ),
    "pt": _word_set(
        "os as do da dos das ao em na nas um uma e nao sao voce voces obrigado obrigada ola oi bom boa tem "
        "temos com muito quando hoje pode isso isto ja sem ate tambem pelo pela sim atenciosamente grato "
        "grata aguardo seu sua nosso nossa erro relatorio acao ontem consegue conseguimos estao"
    ),
}
# Left out on purpose, because two of the languages share them (accents stripped): "a", "o", "no", "de",
# "que", "se", "me", "por", "mas", "dia", "tarde", "este", "esta", "desde", "usuarios", "problema".


def guess_language(value: str, default: str = DEFAULT) -> str:
    """The language of a text (es/en/pt) by its stop words; `default` when no language leads clearly."""
    tokens = normalize(value[:_LIMIT]).split()
    scores = {lang: sum(1 for token in tokens if token in words) for lang, words in _WORDS.items()}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_HITS or top <= second:
        return default
    return best
