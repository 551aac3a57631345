"""Forgiving answer parsing: buttons, option numbers, words, misspellings (rapidfuzz), commands."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

FUZZY_CUTOFF = 80.0  # whole-answer similarity (0-100) for a misspelled option
TOKEN_CUTOFF = 85.0  # one misspelled word inside a short answer
AMBIGUITY_MARGIN = 5.0  # two different options this close are not guessed between
COMPANY_TYPOS = 2  # edits tolerated in a full company name typed by an unknown contact
COMPANY_TYPO_LENGTH = 10  # shorter names tolerate a single edit
DUPLICATE_THRESHOLD = 80.0  # token_set_ratio of two descriptions (stop words removed)
MAX_PHRASE_TOKENS = 6  # longer answers only match an option phrase at their start

_NON_WORD = re.compile(r"[^a-z0-9@]+")
_EMAIL = re.compile(r"[a-z0-9._%+'\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.IGNORECASE)
_REF = re.compile(r"^(?:([a-z]{2,4}) ?)?(\d{1,9})$")
_STARS = re.compile(r"^[\s⭐★*]+$")
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=8192)
def normalize(value: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'ALTA!!' -> 'alta'."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_NON_WORD.sub(" ", plain).split())


GREETINGS: tuple[str, ...] = tuple(
    normalize(g)
    for g in (
        "buenos días",
        "buenas tardes",
        "buenas noches",
        "buen día",
        "buenas",
        "hola",
        "holi",
        "saludos",
        "qué tal",
        "alo",
        "aló",
        "hello",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
        "olá",
        "oi",
        "bom dia",
        "boa tarde",
        "boa noite",
        "estimados",
        "estimado",
        "estimada",
        "dear",
    )
)
_COURTESY = frozenset(
    normalize(w)
    for w in (
        "cómo",
        "como",
        "está",
        "esta",
        "estás",
        "estas",
        "how",
        "are",
        "you",
        "tudo",
        "bem",
        "por",
        "favor",
        "please",
        "gracias",
        "thanks",
        "obrigado",
        "obrigada",
        "equipo",
        "team",
        "soporte",
        "support",
        "suporte",
        "a",
        "todos",
        "all",
        "vai",
        "están",
        "estan",
        "todo",
        "bien",
        "que",
        "tal",
        "día",
        "dia",
        "hope",
        "well",
        "doing",
        "tarde",
        "tardes",
    )
)


def strip_greeting(norm: str) -> str:
    """Drop leading greetings ('hola, buenas tardes', 'oi') from a normalized text."""
    stripped = True
    while stripped and norm:
        stripped = False
        for greeting in GREETINGS:
            if norm == greeting or norm.startswith(greeting + " "):
                norm, stripped = norm[len(greeting) + 1 :], True
                break
    return norm


_LEADING_GREETING = re.compile(
    r"^(?:(?:hola|buenos d[ií]as|buenas tardes|buenas noches|buenas|buen d[ií]a|saludos|"
    r"estimad[oa]s?|hello|hi|hey|good morning|good afternoon|ol[aá]|oi|bom dia|boa tarde|"
    r"boa noite)\b[\s,!.:;]*)+",
    re.IGNORECASE,
)


def without_greeting(value: str) -> str:
    """A raw text without its leading greetings, keeping case and accents ('Hola, el…' -> 'el…')."""
    return _LEADING_GREETING.sub("", value.strip())


def is_greeting_only(value: str) -> bool:
    """True for messages that carry no content: 'hola', 'buenas tardes, ¿cómo están?'."""
    rest = strip_greeting(normalize(value))
    return all(token in _COURTESY for token in rest.split())


# Words that say a problem exists without saying what it is ("tengo un problema con Odoo").
_VAGUE_TEXT = (
    "tengo tenemos hay necesito necesitamos ayuda ayudar ayudarme ayudenme porfa pf plis "
    "problema problemas urgente urgentes urgencia consulta consultas pregunta duda dudas "
    "odoo sistema erp favor gracias muchas ok okay vale bueno listo funciona funcionan anda "
    "falla fallas error errores nada algo pasa sucede ocurre tema caso ticket rapido pronto "
    "i we have need help problem problems issue issues urgent question something works "
    "thanks thank please system wrong going happening "
    "tenho temos preciso precisamos ajuda problemas urgente duvida obrigado obrigada "
    "sistema funciona erro algo acontecendo caso"
)
_VAGUE = frozenset(normalize(w) for w in _VAGUE_TEXT.split())


def is_small_talk(value: str) -> bool:
    """True for greetings, thanks and 'necesito ayuda'-like messages that say nothing concrete."""
    rest = strip_greeting(normalize(value))
    return all(token in _COURTESY or token in _VAGUE or token in _STOP_WORDS
               for token in rest.split())


_CAPTION_TEXT = (
    "aquí aqui ahí ahi va van está esta están estan adjunto adjunta adjuntos envío envio "
    "te les mando mandamos foto fotos captura capturas pantallazo pantallazos archivo "
    "archivos imagen documento el la los las del de lo otro otra más mas also "
    "here is it attached attaching screenshot screenshots file files photo image another "
    "segue seguem anexo anexa print arquivo arquivos mais outra outro aí ai"
)
_CAPTION = frozenset(normalize(w) for w in _CAPTION_TEXT.split())


def is_caption(value: str) -> bool:
    """True for what people write with a file ('aquí va la captura', 'here it is'), or nothing."""
    return is_small_talk(value) or all(
        token in _CAPTION or token in _STOP_WORDS for token in strip_greeting(normalize(value)).split())


_ACKS = frozenset(
    normalize(w)
    for w in ("gracias", "muchas", "ok", "okay", "vale", "perfecto", "genial", "dale", "listo",
              "entendido", "excelente", "thanks", "thank", "great", "perfect", "cool", "got",
              "it", "obrigado", "obrigada", "valeu", "beleza", "certo", "show", "mil")
)


def is_acknowledgement(value: str) -> bool:
    """True for 'gracias', 'ok', 'perfecto, muchas gracias': a thank-you, not a request."""
    tokens = strip_greeting(normalize(value)).split()
    return bool(tokens) and any(t in _ACKS for t in tokens) and all(
        t in _ACKS or t in _COURTESY for t in tokens)


def informative_words(value: str) -> int:
    """How many words of a text say something concrete (not greetings, stop or vague words)."""
    rest = strip_greeting(normalize(value))
    return sum(1 for token in rest.split()
               if token not in _COURTESY and token not in _VAGUE and token not in _STOP_WORDS
               and not (token.isdigit() and len(token) < 3))


def detect_language(value: str) -> str | None:
    """Guess es/en/pt from a greeting or a few telltale words; None when unsure."""
    norm = normalize(value)
    tokens = set(norm.split())
    markers = {
        "en": {"hello", "hi", "hey", "good", "morning", "afternoon", "the", "my", "is", "not"},
        "pt": {"ola", "oi", "bom", "boa", "obrigado", "obrigada", "voce", "nao", "tudo"},
        "es": {"hola", "buenos", "buenas", "buen", "gracias", "usted", "el", "los", "es"},
    }
    scores = {lang: len(tokens & words) for lang, words in markers.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    return best if ranked[0] > 0 and ranked[0] > ranked[1] else None


# --- options ------------------------------------------------------------------------------------

_INDEX_WORDS: dict[str, int] = {
    normalize(word): n
    for n, words in {
        1: ("uno", "primero", "primera", "one", "first", "um", "primeiro"),
        2: ("dos", "segundo", "segunda", "two", "second", "dois", "duas"),
        3: ("tres", "tercero", "tercera", "three", "third", "três", "terceiro", "terceira"),
        4: ("cuatro", "cuarto", "cuarta", "four", "fourth", "quatro", "quarto"),
        5: ("cinco", "quinto", "quinta", "five", "fifth"),
        6: ("seis", "sexto", "six", "sixth"),
        7: ("siete", "seven", "sete"),
        8: ("ocho", "eight", "oito"),
        9: ("nueve", "nine", "nove"),
    }.items()
    for word in words
}
_INDEX_FILLERS = frozenset(
    {"opcion", "option", "opcao", "la", "el", "numero", "number", "n", "nro", "no", "a", "o"}
)


@dataclass(frozen=True, slots=True)
class ChoiceWords:
    """One option as the parser sees it: its id and every phrase that names it."""

    id: str
    phrases: tuple[str, ...]


def option_index(norm: str) -> int | None:
    """The option number in '2', 'opción 2', 'la segunda', 'dos'; None otherwise."""
    tokens = norm.split()
    while len(tokens) > 1 and tokens[0] in _INDEX_FILLERS:
        tokens = tokens[1:]
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if token.isdigit() and len(token) <= 2:
        return int(token)
    return _INDEX_WORDS.get(token)


def match_choice(value: str, choices: Sequence[ChoiceWords]) -> str | None:
    """Pick the option a free answer means, or None when it is unclear.

    Tries, in order: the option number, an exact phrase, a phrase inside a short answer (the
    longest wins, so 'no es urgente' beats 'urgente'), then a close misspelling (rapidfuzz).
    """
    norm = strip_greeting(normalize(value))
    if not norm or not choices:
        return None
    index = option_index(norm)
    if index is not None:
        return choices[index - 1].id if 1 <= index <= len(choices) else None
    phrases = [(choice.id, normalize(p)) for choice in choices for p in choice.phrases]
    for choice_id, phrase in phrases:
        if norm == phrase:
            return choice_id
    return _contained(norm, phrases) or _fuzzy(norm, phrases)


def _contained(norm: str, phrases: Sequence[tuple[str, str]]) -> str | None:
    """The option named by phrases inside the answer, if only one option is named.

    A phrase inside a longer matched phrase does not count ('urgente' in 'no es urgente').
    """
    at_start_only = len(norm.split()) > MAX_PHRASE_TOKENS
    spans = [
        (found.start(), found.end(), choice_id)
        for choice_id, phrase in phrases
        if phrase
        for found in re.finditer(rf"(?<!\S){re.escape(phrase)}(?!\S)", norm)
        if not at_start_only or found.start() == 0
    ]
    named = {
        choice_id
        for start, end, choice_id in spans
        if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans)
    }
    return named.pop() if len(named) == 1 else None


def _fuzzy(norm: str, phrases: Sequence[tuple[str, str]]) -> str | None:
    """The option closest to a misspelled answer ('hight', 'contabilida'), if clearly closest."""
    if len(norm) < 3:
        return None
    candidates = [(cid, phrase) for cid, phrase in phrases if len(phrase) >= 3]
    whole = [(fuzz.ratio(norm, phrase), cid) for cid, phrase in candidates]
    best = _unique_best([s for s in whole if s[0] >= FUZZY_CUTOFF], margin=AMBIGUITY_MARGIN)
    if best or len(norm.split()) > MAX_PHRASE_TOKENS:
        return best
    words = [(cid, phrase) for cid, phrase in candidates if " " not in phrase and len(phrase) >= 4]
    per_token = [
        (fuzz.ratio(token, phrase), cid) for token in norm.split() if len(token) >= 4 for cid, phrase in words
    ]
    return _unique_best([s for s in per_token if s[0] >= TOKEN_CUTOFF], margin=AMBIGUITY_MARGIN)


def _unique_best(scored: Sequence[tuple[float, str]], margin: float) -> str | None:
    """The id with the highest score, unless another id scores within `margin` of it."""
    best: dict[str, float] = {}
    for score, choice_id in scored:
        best[choice_id] = max(score, best.get(choice_id, 0.0))
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < margin:
        return None
    return ranked[0][0]


def count_stars(value: str) -> int | None:
    """A rating given as stars ('⭐⭐⭐⭐', '***'), 1-5, or None."""
    if not _STARS.match(value) or not value.strip():
        return None
    count = sum(1 for ch in value if ch in "⭐★*")
    return count if 1 <= count <= 5 else None


def standalone_rating(value: str) -> int | None:
    """A 1-5 rating written with digits ('4', '4/5', 'un 5', '5 de 5', '8/10' -> 4), or None."""
    numbers = [int(n) for n in _DIGITS.findall(value)]
    if len(numbers) == 2 and numbers[1] == 10 and 1 <= numbers[0] <= 10:
        return max(1, (numbers[0] + 1) // 2)  # out of ten: 10/10 -> 5, 8/10 -> 4, 1/10 -> 1
    if not numbers or numbers[0] not in range(1, 6):
        return None
    rest = numbers[1:]
    return numbers[0] if not rest or rest == [5] else None


def rating_attempt(value: str) -> bool:
    """True for a short answer that gives a number ('10', 'un 7', '0', 'siete'): a rating try."""
    norm = normalize(value)
    tokens = norm.split()
    if not tokens or len(tokens) > 3:
        return False
    return bool(_DIGITS.search(norm)) or any(t in _INDEX_WORDS for t in tokens)


# --- free-text answers --------------------------------------------------------------------------

_NAME_PREFIX = re.compile(
    r"^(?:(?:hola|hi|hello|ol[aá]|oi)[\s,!.]*)?"
    r"(?:me llamo|mi nombre es|soy|my name is|i am|i'm|im|meu nome [eé]|me chamo|sou)\s+",
    re.IGNORECASE,
)
_COMPANY_PREFIX = re.compile(
    r"^(?:de la empresa|la empresa|empresa|trabajo en|somos de|somos|soy de|de|from|"
    r"i work at|i work for|we are|sou da|somos da|da empresa|da|trabalho na)\s+",
    re.IGNORECASE,
)
_LEGAL_SUFFIXES = frozenset(
    {
        "spa",
        "sa",
        "s",
        "a",
        "ltda",
        "limitada",
        "eirl",
        "sas",
        "sac",
        "srl",
        "r",
        "l",
        "cv",
        "de",
        "inc",
        "llc",
        "ltd",
        "corp",
        "cia",
        "y",
        "me",
        "epp",
        "eireli",
        "gmbh",
    }
)


def parse_name(value: str) -> str | None:
    """A person's name from 'Ana Pérez' or 'me llamo Ana Pérez'; None if it does not look like one."""
    name = _NAME_PREFIX.sub("", value.strip()).strip(" .,!¡¿?\"'")
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or len(name) > 80 or len(name.split()) > 6 or "@" in name:
        return None
    if any(ch.isdigit() for ch in name):
        return None
    return name.title() if name == name.lower() else name


def parse_company(value: str) -> str | None:
    """A company name as typed ('de Comercial Andes' -> 'Comercial Andes'), or None."""
    name = _COMPANY_PREFIX.sub("", value.strip()).strip(" .,!¡¿?\"'")
    if sum(ch.isalnum() for ch in name) < 2 or len(name) > 120:
        return None
    return name


MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit; also what the contacts table stores
MAX_EMAIL_LOCAL_LENGTH = 64


def parse_email(value: str) -> str | None:
    """The e-mail address in an answer ('mi correo es ana@andes.cl'), lower-cased, or None."""
    found = _EMAIL.search(value.strip())
    if not found:
        return None
    address = found.group(0).lower().strip(".")
    local, _, domain = address.partition("@")
    if ".." in address or local.startswith(".") or domain.startswith("-"):
        return None
    if len(address) > MAX_EMAIL_LENGTH or len(local) > MAX_EMAIL_LOCAL_LENGTH:
        return None
    return address


def company_key(name: str) -> str:
    """A company name without accents, punctuation or legal suffixes ('Andes S.A.' -> 'andes')."""
    tokens = normalize(name).split()
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def best_company(typed: str, names: Sequence[str], tax_ids: Sequence[str | None] = ()) -> int | None:
    """Index of the known company the person named in full (or by tax id), or None.

    Never completes a partial name: the typed name must be a company's whole name, tolerant of
    case, accents, punctuation and legal suffixes ('SpA', 'Ltda'), with at most a small typo
    (two edits in names of ten characters or more, one in shorter ones); a tie matches nothing.
    """
    query = company_key(typed)
    if len(query) < 3 or not names:
        return None
    tax = _tax_key(typed)
    for index, tax_id in enumerate(tax_ids):
        if tax_id and tax and _tax_key(tax_id) == tax:
            return index
    scored = [(Levenshtein.distance(query, company_key(n)), i) for i, n in enumerate(names)]
    allowed = COMPANY_TYPOS if len(query) >= COMPANY_TYPO_LENGTH else 1
    close = sorted(pair for pair in scored if pair[0] <= allowed)
    if not close or (len(close) > 1 and close[0][0] == close[1][0]):
        return None
    return close[0][1]


def _tax_key(value: str) -> str:
    """A tax id without dots, dashes or spaces ('76.123.456-K' -> '76123456k'); '' if none."""
    compact = re.sub(r"[\s.\-]", "", value.strip().lower())
    return compact if re.fullmatch(r"\d{6,}[0-9k]?", compact) else ""


# --- descriptions -------------------------------------------------------------------------------

_STOP_TEXT = (
    "el la los las un una unos unas de del al a en y o que se no me mi mis lo le por para "
    "con es son esta estan hay al pero como cuando sin su sus nos ya muy "
    "the a an of to in on and or is are it my we i not for with at from this that when "
    "o os um uma de do da dos das em no na e que se nao meu minha com por para ao esta"
)
_STOP_WORDS = frozenset(normalize(w) for w in _STOP_TEXT.split())


def content_words(value: str) -> str:
    """A normalized text without stop words, for comparing descriptions."""
    return " ".join(t for t in normalize(value).split() if t not in _STOP_WORDS)


def description_similarity(a: str, b: str) -> float:
    """How alike two problem descriptions are (rapidfuzz token_set_ratio, 0-100)."""
    left, right = content_words(a), content_words(b)
    if not left or not right:
        return 0.0
    return float(fuzz.token_set_ratio(left, right))


def word_count(value: str) -> int:
    """Number of words in a text."""
    return len(normalize(value).split())


# --- commands -----------------------------------------------------------------------------------


class Command(StrEnum):
    """What a customer can ask for at any step."""

    HELP = "help"
    CANCEL = "cancel"
    BACK = "back"
    RESTART = "restart"
    AGENT = "agent"
    LANGUAGE = "language"
    STATUS = "status"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class TicketRef:
    """A ticket number as typed: 'LA-000123' -> ('la', 123); '123' -> (None, 123)."""

    prefix: str | None
    number: int

    def matches(self, ticket_number: str) -> bool:
        """True when `ticket_number` (e.g. 'LA-000123') is the ticket this reference names."""
        other = parse_ticket_ref(ticket_number)
        if other is None or other.number != self.number:
            return False
        return self.prefix is None or other.prefix is None or self.prefix == other.prefix

    def display(self) -> str:
        """The reference as the customer would read it ('LA-000123')."""
        return f"{self.prefix.upper()}-{self.number:06d}" if self.prefix else str(self.number)


@dataclass(frozen=True, slots=True)
class CommandMatch:
    """A recognized command with its argument (a language or a ticket reference)."""

    command: Command
    lang: str | None = None
    ticket: TicketRef | None = None


_COMMAND_PHRASES: dict[Command, tuple[str, ...]] = {
    Command.HELP: ("ayuda", "help", "ajuda", "menu", "menú", "opciones", "options", "opções"),
    Command.CANCEL: ("cancelar", "cancel", "cancela", "anular", "salir", "exit", "quit", "sair"),
    Command.BACK: ("volver", "atrás", "back", "voltar", "regresar", "go back", "anterior", "ir atrás"),
    Command.RESTART: (
        "reiniciar",
        "restart",
        "empezar de nuevo",
        "comenzar de nuevo",
        "start over",
        "recomeçar",
        "reset",
        "inicio",
        "começar de novo",
    ),
    Command.AGENT: (
        "agente",
        "agent",
        "humano",
        "human",
        "atendente",
        "operador",
        "ejecutivo",
        "hablar con una persona",
        "hablar con un agente",
        "hablar con alguien",
        "talk to a person",
        "talk to an agent",
        "human agent",
        "falar com atendente",
        "falar com uma pessoa",
        "falar com um atendente",
    ),
    Command.NEW: (
        "nuevo",
        "new",
        "novo",
        "nuevo ticket",
        "nuevo problema",
        "problema nuevo",
        "otro problema",
        "new ticket",
        "new problem",
        "another problem",
        "novo chamado",
        "problema novo",
        "outro problema",
    ),
}
_STATUS_WORDS = tuple(
    normalize(p)
    for p in (
        "mis tickets",
        "my tickets",
        "meus chamados",
        "meus tickets",
        "estado",
        "status",
        "situação",
        "tickets",
        "ticket",
        "chamados",
        "chamado",
        "ver tickets",
    )
)
_STATUS_FILLERS = frozenset(
    {
        "de",
        "del",
        "mi",
        "mis",
        "ticket",
        "tickets",
        "el",
        "my",
        "of",
        "the",
        "do",
        "meu",
        "chamado",
        "caso",
        "case",
        "n",
        "nro",
        "numero",
    }
)
_LANGUAGE_WORDS = tuple(
    normalize(p)
    for p in ("cambiar idioma", "change language", "mudar idioma", "idioma", "language", "lingua", "lang")
)
_LANGUAGE_NAMES: dict[str, str] = {
    normalize(name): code
    for code, names in {
        "es": (
            "es",
            "español",
            "espanol",
            "castellano",
            "spanish",
            "espanhol",
            "en español",
            "in spanish",
            "em espanhol",
        ),
        "en": ("en", "english", "inglés", "ingles", "inglês", "en inglés", "in english", "em inglês"),
        "pt": (
            "pt",
            "português",
            "portugues",
            "portuguese",
            "portugués",
            "en portugués",
            "in portuguese",
            "em português",
            "br",
        ),
    }.items()
    for name in names
}
_REQUEST_PREFIX = re.compile(
    r"^(?:por favor |please )?(?:quiero|quisiera|necesito|deseo|puedo|i want to|i want|"
    r"i would like to|i d like to|id like to|can i|quero|gostaria de|preciso|posso) "
)
_EXACT_COMMANDS: dict[str, Command] = {
    normalize(p): cmd for cmd, phrases in _COMMAND_PHRASES.items() for p in phrases
}


def parse_command(value: str, *, fuzzy: bool = False) -> CommandMatch | None:
    """A global command in the whole answer ('cancelar', 'idioma en', 'estado LA-000123').

    Only a message that *is* a command counts, so a description that mentions 'cancelar' is not
    one. With `fuzzy`, a single misspelled word ('cancelr', 'ayduda') is accepted too.
    """
    norm = _REQUEST_PREFIX.sub("", normalize(value))
    if not norm:
        return None
    if norm in _EXACT_COMMANDS:
        return CommandMatch(_EXACT_COMMANDS[norm])
    found = _language_command(norm) or _status_command(norm)
    if found or not fuzzy or " " in norm or len(norm) < 5:
        return found
    hit = process.extractOne(norm, list(_EXACT_COMMANDS), scorer=fuzz.ratio, score_cutoff=85)
    return None if hit is None else CommandMatch(_EXACT_COMMANDS[hit[0]])


def _language_command(norm: str) -> CommandMatch | None:
    """'idioma', 'idioma en', 'language english', or a bare 'english' / 'en portugués'."""
    if norm in _LANGUAGE_NAMES and len(norm) > 2:
        return CommandMatch(Command.LANGUAGE, lang=_LANGUAGE_NAMES[norm])
    for word in _LANGUAGE_WORDS:
        if norm == word:
            return CommandMatch(Command.LANGUAGE)
        if norm.startswith(word + " "):
            rest = norm[len(word) + 1 :]
            rest = re.sub(r"^(?:a|al|en|em|in|to|para|pra) ", "", rest)
            code = _LANGUAGE_NAMES.get(rest)
            return CommandMatch(Command.LANGUAGE, lang=code) if code else None
    return None


_STATUS_QUESTION = re.compile(
    r"^(?:y |and |e )?(?:como (?:va|van|esta|estan|anda|andan|sigue|siguen|vai|vao|ta)|"
    r"que (?:pasa|paso|hay|sabe[ns]?) (?:con|de)|alguna novedad (?:de|del|con|sobre|en)|"
    r"novedades (?:de|del|sobre)|hay novedades (?:de|del|sobre|en)|how s|hows|how is|how are|"
    r"what s the status of|whats the status of|any news (?:on|about)|any update on|"
    r"any updates on|novidades (?:do|da|sobre)|alguma novidade (?:do|da|sobre)|"
    r"qual (?:e )?(?:a )?situacao (?:do|da))"
    r"(?: (?:el|la|los|las|mi|mis|my|our|meu|meus|minha|o|a|os|nuestro|nuestros))*"
    r" (?:ticket|tickets|caso|casos|chamado|chamados|solicitud|solicitudes|requerimiento|"
    r"pedido|case|cases|request|requests)(?: (.+))?$"
)


def _status_command(norm: str) -> CommandMatch | None:
    """'estado', 'mis tickets', 'estado LA-000123', 'status del ticket 45', '¿cómo va mi ticket?'."""
    question = _STATUS_QUESTION.match(norm)
    if question:
        ref = parse_ticket_ref(question.group(1)) if question.group(1) else None
        return CommandMatch(Command.STATUS, ticket=ref)
    for word in _STATUS_WORDS:
        if norm == word:
            return CommandMatch(Command.STATUS)
        if norm.startswith(word + " "):
            rest = [t for t in norm[len(word) + 1 :].split() if t not in _STATUS_FILLERS]
            if not rest:
                return CommandMatch(Command.STATUS)
            ref = parse_ticket_ref(" ".join(rest))
            return CommandMatch(Command.STATUS, ticket=ref) if ref else None
    return None


_NOT_PREFIXES = frozenset({"el", "de", "del", "no", "nro", "num", "id", "caso", "case", "nr"})


def parse_ticket_ref(value: str) -> TicketRef | None:
    """A ticket reference in 'LA-000123', 'la 123', 'el 123', '#123' or '123'; None otherwise."""
    found = _REF.match(normalize(value))
    if not found:
        return None
    prefix = found.group(1)
    return TicketRef(None if prefix in _NOT_PREFIXES else prefix, int(found.group(2)))


def find_ticket_ref(value: str) -> TicketRef | None:
    """The first ticket number with a prefix ('LA-000045') anywhere in a text, or None."""
    found = re.search(r"\b([a-z]{2,4}) ?(\d{3,9})\b", normalize(value))
    return TicketRef(found.group(1), int(found.group(2))) if found else None
