"""``intake-bot sla``: the SLA engine from the command line, for people and for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from sla.calendar import BusinessCalendar
from sla.calendar_presets import get_calendar
from sla.clock import Deadlines, add_business_time, deadlines_for
from sla.explain import explain_deadline, explain_deadlines
from sla.priority import Budget, Priority

BUDGET_KEYS = ("minutes", "business_days", "priority")


@click.group(name="sla")
def sla_group() -> None:
    """Business-calendar SLA tools: deadlines on a support calendar."""


@sla_group.command("deadline")
@click.option("--start", help="Start instant, ISO 8601; without an offset it is the calendar's local time.")
@click.option("--minutes", type=click.IntRange(min=1), help="Budget in business minutes.")
@click.option("--business-days", type=click.IntRange(min=1), help="Budget in business days.")
@click.option(
    "--priority",
    type=click.Choice([p.value for p in Priority], case_sensitive=False),
    help="Contract targets of a priority (response and resolution).",
)
@click.option("--calendar", "calendar_name", default="default", show_default=True, help="Calendar name.")
@click.option("--lang", type=click.Choice(["es", "en", "pt"]), default="es", show_default=True)
@click.option("--jsonl", is_flag=True, help="Read one JSON object per line from stdin, write one per line.")
@click.pass_context
def deadline(
    ctx: click.Context,
    *,
    start: str | None,
    minutes: int | None,
    business_days: int | None,
    priority: str | None,
    calendar_name: str,
    lang: str,
    jsonl: bool,
) -> None:
    """Print the deadline(s) of a budget from a start instant, in local time and UTC."""
    try:
        cal = get_calendar(calendar_name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--calendar") from None
    given = [
        name for name, value in zip(BUDGET_KEYS, (minutes, business_days, priority), strict=True) if value
    ]
    if jsonl:
        if start is not None or given:
            raise click.UsageError("--jsonl reads start and budget from stdin; drop --start and budgets")
        if not _run_jsonl(cal, sys.stdin):
            ctx.exit(1)
        return
    if start is None:
        raise click.UsageError("missing --start (or use --jsonl)")
    if len(given) != 1:
        raise click.UsageError("give exactly one of --minutes, --business-days or --priority")
    try:
        instant = parse_start(start, cal)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--start") from None
    budget = {"minutes": minutes, "business_days": business_days, "priority": priority}
    try:
        lines = _human_lines(cal, instant, compute(cal, instant, budget), lang)
    except (OverflowError, ValueError) as exc:
        raise click.UsageError(error_text(exc)) from None
    click.echo("\n".join(lines))


def parse_start(text: str, cal: BusinessCalendar) -> datetime:
    """An ISO 8601 instant; a naive one is read in the calendar's local time."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None
    return instant.replace(tzinfo=cal.tz) if instant.tzinfo is None else instant


def compute(cal: BusinessCalendar, start: datetime, budget: Mapping[str, Any]) -> dict[str, datetime]:
    """Deadline(s) for exactly one of minutes, business_days or priority (ValueError otherwise)."""
    chosen = [key for key in BUDGET_KEYS if budget.get(key) is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of minutes, business_days or priority")
    key, value = chosen[0], budget[chosen[0]]
    if key == "priority":
        if not isinstance(value, str) or value.upper() not in Priority.__members__:
            raise ValueError(f"priority must be one of P1..P5, not {value!r}")
        due = deadlines_for(cal, start, Priority(value.upper()))
        return {"response_due": due.response_due, "resolution_due": due.resolution_due}
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key} must be a positive integer, not {value!r}")
    _check_room(start, key, value)
    return {"deadline": add_business_time(cal, start, Budget(**{key: value}))}


def _check_room(start: datetime, key: str, value: int) -> None:
    """OverflowError at once for a budget that cannot end before year 10000.

    A business minute lasts at least a real minute and N business days at least N - 1 days, so
    such a budget would only overflow after walking the calendar for thousands of years.
    """
    room = datetime.max.replace(tzinfo=UTC) - start.astimezone(UTC)
    span = timedelta(minutes=value) if key == "minutes" else timedelta(days=value - 1)
    if span > room:
        raise OverflowError("date value out of range")


def error_text(exc: OverflowError | ValueError) -> str:
    """A one-line reason for a bad line or option; dates past the calendar's range say so."""
    if isinstance(exc, OverflowError):
        return "the start or the deadline is out of the supported date range"
    return str(exc)


def _human_lines(
    cal: BusinessCalendar, start: datetime, results: dict[str, datetime], lang: str
) -> list[str]:
    """Aligned lines: local time with offset and UTC, then the explanation in words."""
    rows = {"start": start, **results}
    lines = [f"{'calendar':<15} {cal.name} ({cal.timezone})"]
    for label, instant in rows.items():
        local, utc = instant.astimezone(cal.tz), instant.astimezone(UTC)
        lines.append(f"{label:<15} {local.isoformat()}  UTC {utc.isoformat()}")
    if "deadline" in results:
        lines.append(explain_deadline(cal, results["deadline"], "due", lang, reference=start))
    else:
        due = Deadlines(results["response_due"], results["resolution_due"])
        lines.append(explain_deadlines(cal, due, lang, reference=start))
    return lines


def _run_jsonl(cal: BusinessCalendar, lines: Iterable[str]) -> bool:
    """Answer each JSON line on stdout; a bad line gets an error object. True if all lines were good."""
    ok = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            answer = _answer_line(cal, line)
        except (OverflowError, ValueError) as exc:
            answer, ok = {"error": error_text(exc), "line": number}, False
        click.echo(json.dumps(answer, ensure_ascii=False))
    return ok


def _answer_line(cal: BusinessCalendar, line: str) -> dict[str, Any]:
    """The request echoed back with its deadline(s) in ISO 8601 with the calendar's offset."""
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    if not isinstance(request, dict):
        raise ValueError("each line must be a JSON object")
    line_cal = cal
    if "calendar" in request:
        line_cal = get_calendar(str(request["calendar"]))
    start = request.get("start")
    if not isinstance(start, str):
        raise ValueError('"start" must be an ISO 8601 string')
    results = compute(line_cal, parse_start(start, line_cal), request)
    return {**request, **{key: value.astimezone(line_cal.tz).isoformat() for key, value in results.items()}}
