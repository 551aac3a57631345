"""The conversation state: a frozen, JSON-serializable value the service stores between messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from bot.flow import STEP_BY_NAME, Flow, StepName, flow_of
from bot.messages import InboundMedia, MediaKind
from bot.texts import DEFAULT_LANG, supported_lang

STATE_VERSION = 1
# Flows that time out when the customer stops answering (service prompts have their own reminders).
EXPIRING_FLOWS = frozenset({Flow.IDENTIFY, Flow.INTAKE, Flow.TICKET, Flow.LANGUAGE})


@dataclass(frozen=True, slots=True)
class DialogState:
    """Where one sender's conversation stands.

    `answers` holds what the current dialog collected (intake fields by step field name, plus
    a few working values); `evidence` the files sent so far; `history` the steps to go back to;
    `ticket` the ticket a service prompt or an "add to ticket" is about; `suspended` an intake
    that a validation/survey prompt interrupted (its own `to_dict()`), resumed afterwards.
    `received_at` is when the customer's last message was received, `fresh_prompt` whether the
    current question was first asked in reply to it (the customer may not have read it yet) and
    `burst_kept` how many messages of a burst were kept instead of answering it (see bot.engine).
    """

    step: StepName | None = None
    lang: str = DEFAULT_LANG
    lang_chosen: bool = False
    answers: Mapping[str, str] = field(default_factory=dict)
    evidence: tuple[InboundMedia, ...] = ()
    history: tuple[StepName, ...] = ()
    ticket: str | None = None
    editing: bool = False
    misses: int = 0
    last_activity: datetime | None = None
    suspended: Mapping[str, Any] | None = None
    received_at: datetime | None = None
    fresh_prompt: bool = False
    burst_kept: int = 0

    @classmethod
    def initial(cls, lang: str = DEFAULT_LANG) -> DialogState:
        """A fresh conversation in `lang` (Spanish by default)."""
        return cls(lang=supported_lang(lang) or DEFAULT_LANG)

    @property
    def mode(self) -> Flow:
        """What the conversation is doing now: idle, intake, validation, survey, handoff..."""
        return flow_of(self.step)

    @property
    def expires(self) -> bool:
        """True when an unanswered question in this state should time out."""
        return self.mode in EXPIRING_FLOWS

    def with_answers(self, **values: str | None) -> DialogState:
        """A copy with answers set (a None value removes the answer)."""
        merged = {**self.answers, **{k: v for k, v in values.items() if v is not None}}
        for key in (k for k, v in values.items() if v is None):
            merged.pop(key, None)
        return replace(self, answers=merged)

    def cleared(self) -> DialogState:
        """Back to idle, keeping only the language (and whether the customer chose it)."""
        return DialogState(lang=self.lang, lang_chosen=self.lang_chosen,
                           last_activity=self.last_activity, received_at=self.received_at)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict (datetimes as ISO 8601 strings)."""
        return {
            "v": STATE_VERSION,
            "step": None if self.step is None else str(self.step),
            "lang": self.lang,
            "lang_chosen": self.lang_chosen,
            "answers": dict(self.answers),
            "evidence": [media_to_dict(m) for m in self.evidence],
            "history": [str(h) for h in self.history],
            "ticket": self.ticket,
            "editing": self.editing,
            "misses": self.misses,
            "last_activity": self.last_activity.isoformat() if self.last_activity else None,
            "suspended": dict(self.suspended) if self.suspended else None,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "fresh_prompt": self.fresh_prompt,
            "burst_kept": self.burst_kept,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DialogState:
        """Rebuild a state from `to_dict()`; unknown steps (a renamed flow) fall back to idle."""
        if not data:
            return cls.initial()
        step = data.get("step")
        known = step is None or step in STEP_BY_NAME
        stamp, received = data.get("last_activity"), data.get("received_at")
        base = cls(
            lang=supported_lang(data.get("lang")) or DEFAULT_LANG,
            lang_chosen=bool(data.get("lang_chosen", False)),
            last_activity=datetime.fromisoformat(stamp) if stamp else None,
            received_at=datetime.fromisoformat(received) if received else None,
        )
        if not known:
            return base
        return replace(
            base,
            step=None if step is None else StepName(step),
            answers={str(k): str(v) for k, v in (data.get("answers") or {}).items()},
            evidence=tuple(media_from_dict(m) for m in data.get("evidence") or ()),
            history=tuple(StepName(h) for h in data.get("history") or () if h in STEP_BY_NAME),
            ticket=data.get("ticket"),
            editing=bool(data.get("editing", False)),
            misses=int(data.get("misses", 0)),
            suspended=data.get("suspended") or None,
            fresh_prompt=bool(data.get("fresh_prompt", False)),
            burst_kept=int(data.get("burst_kept", 0)),
        )


def media_to_dict(media: InboundMedia) -> dict[str, Any]:
    """An InboundMedia as a JSON-serializable dict."""
    return {f.name: getattr(media, f.name) for f in fields(media)} | {"kind": media.kind.value}


def media_from_dict(data: Mapping[str, Any]) -> InboundMedia:
    """An InboundMedia from `media_to_dict()`."""
    kind = data.get("kind") or MediaKind.OTHER.value
    return InboundMedia(
        ref=str(data["ref"]),
        content_type=data.get("content_type"),
        kind=MediaKind(kind) if kind in {k.value for k in MediaKind} else MediaKind.OTHER,
        filename=data.get("filename"),
        size=data.get("size"),
        unique_id=data.get("unique_id"),
    )
