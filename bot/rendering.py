"""What the customer is shown: a step's question and buttons, the intake summary, ticket status."""

from __future__ import annotations

from collections.abc import Sequence

from bot import flow
from bot.context import DialogContext, RequestTerms, TicketView, hours_and_minutes
from bot.flow import Answer, Step, StepName
from bot.messages import Option
from bot.parsing import TicketRef
from bot.state import DialogState
from bot.texts import TEXTS, text
from bot.ticket import intake_data
from bot.turn import Run

MAX_LISTED_TICKETS = 5
MAX_SUMMARY_DESCRIPTION = 500


def render(
    current: Step, state: DialogState, lang: str, ctx: DialogContext | None
) -> tuple[str, tuple[Option, ...]]:
    """The question text and options of a step, in `lang`."""
    assert current.prompt is not None, f"step {current.name} asks nothing"
    variables = variables_of(state)
    if current.name == StepName.VALIDATION_ASK:
        variables["summary"] = state.answers.get("solution", "")
    elif current.name == StepName.CONFIRM_SUMMARY and ctx is not None:
        variables["summary"] = summary(state, lang, ctx)
    elif current.name == StepName.CONFIRM_BILLABLE and ctx is not None:
        variables["terms"] = request_terms_text(ctx.request_terms, lang)
    elif current.name == StepName.CHOOSE_TICKET and ctx is not None:
        lines = [text("ticket_line", lang, number=t.number, title=t.title) for t in listed_tickets(ctx)]
        variables["tickets"] = "\n".join(lines)
    return text(flow_key(current.prompt, state), lang, **variables), options(current, state, ctx, lang)


def flow_key(key: str, state: DialogState) -> str:
    """A text's request-flow wording ('<key>.request') when the intake is a request and it has one."""
    wording = f"{key}.request"
    return wording if state.answers.get("type") == "request" and wording in TEXTS else key


def variables_of(state: DialogState) -> dict[str, object]:
    """What a step's texts may mention: the answers so far and the ticket in question."""
    return {**state.answers, "ticket": state.ticket or ""}


def options(
    current: Step, state: DialogState, ctx: DialogContext | None, lang: str | None = None
) -> tuple[Option, ...]:
    """The step's options as buttons: '<step>:<choice>' ids, titles in the language."""
    lang = lang or state.lang
    tickets = tuple(
        Option(flow.option_id(current.name, t.number), t.number[:20])
        for t in (listed_tickets(ctx) if ctx and current.answer is Answer.TICKETS else ())
    )
    fixed = tuple(Option(flow.option_id(current.name, c.id), text(c.title, lang)) for c in current.choices)
    return tickets + fixed


def listing(titles: Sequence[str], run: Run) -> str:
    """'A, B o C' in the turn's language."""
    if len(titles) < 2:
        return "".join(titles)
    return f"{', '.join(titles[:-1])} {run.t('or')} {titles[-1]}"


def summary(state: DialogState, lang: str, ctx: DialogContext) -> str:
    """The intake summary with derived priority and both deadlines explained."""
    data = intake_data(state)
    quote = ctx.quote(data.priority, lang)
    module = text(f"opt.module.{data.module}", lang) if data.module else text("summary.none", lang)
    description = (
        data.description
        if len(data.description) <= MAX_SUMMARY_DESCRIPTION
        else data.description[: MAX_SUMMARY_DESCRIPTION - 1] + "…"
    )
    lines = [
        text("summary.type", lang, value=text(f"label.{data.ticket_type.value}", lang)),
        text("summary.description", lang, value=description),
        text("summary.module", lang, value=module),
        text("summary.files", lang, value=len(data.media)),
        text("summary.impact", lang, value=text(f"label.impact.{state.answers['impact']}", lang)),
        text("summary.urgency", lang, value=text(f"label.urgency.{state.answers['urgency']}", lang)),
        text("summary.priority", lang, value=text(f"priority.{data.priority.value}", lang)),
        quote.response,
        quote.resolution,
    ]
    if data.ticket_type.value == "request":
        lines.append(request_terms_text(ctx.request_terms, lang))
    back = ctx.back_at(lang)
    if back is not None:
        lines.append(text("closed_now", lang, when=back))
    return "\n".join(lines)


def request_terms_text(terms: RequestTerms, lang: str) -> str:
    """The plan's rule for requests in plain words (the bank's balance, and what happens at zero)."""
    balance = terms.balance() if terms.rule == "hours_bank" else None
    if terms.rule == "hours_bank" and balance is None:
        return text("request_rule.hours_bank_private", lang)  # a group chat: no company figures
    if terms.rule == "hours_bank" and balance is not None:
        key = "request_rule.hours_bank" if balance > 0 else "request_rule.hours_bank_empty"
        return text(key, lang, balance=hours_and_minutes(balance))
    known = terms.rule if terms.rule in ("included", "quote") else "unknown"
    return text(f"request_rule.{known}", lang)


def listed_tickets(ctx: DialogContext) -> list[TicketView]:
    """Open tickets offered in 'which ticket is this about': waiting-on-customer first."""
    ordered = sorted(ctx.open_tickets, key=lambda t: not t.waiting_on_customer)
    return ordered[:MAX_LISTED_TICKETS]


def status_text(ref: TicketRef | None, run: Run) -> str:
    """The company's tickets, or one of them; never anything outside ctx.tickets."""
    tickets = list(run.ctx.tickets)
    if ref is not None:
        found = next((t for t in tickets if ref.matches(t.number)), None)
        if found is None:
            return run.t("status_not_found", ref=ref.display())
        return _status_item(found, run)
    if not tickets:
        return run.t("status_none")
    company = run.ctx.contact.company_name if run.ctx.contact else None
    header = run.t("status_header", company=company) if company else run.t("status_header_generic")
    ordered = sorted(tickets, key=lambda t: not t.open)
    items = [_status_item(t, run) for t in ordered[:MAX_LISTED_TICKETS]]
    more = len(ordered) - MAX_LISTED_TICKETS
    tail = [run.t("status_more", count=more)] if more > 0 else []
    return "\n\n".join([header, *items, *tail])


def _status_item(ticket: TicketView, run: Run) -> str:
    status_key = f"status.{ticket.status}"
    status = run.t(status_key) if status_key in TEXTS else ticket.status
    return run.t(
        "status_item",
        number=ticket.number,
        title=ticket.title,
        status=status,
        priority=ticket.priority,
        response_due=_deadline(ticket.response_due, ticket.response_state, run),
        resolution_due=_deadline(ticket.resolution_due, ticket.resolution_state, run),
        last_update=ticket.last_update or "—",
    )


def _deadline(due: str, state: str, run: Run) -> str:
    """A deadline's date while its clock runs; "en pausa: …", "vencido", "respondido" otherwise."""
    key = f"clock.{state}"
    if state and key in TEXTS:
        return run.t(key)
    return due or "—"
