"""`intake-bot sla deadline`: human output, usage errors, and the JSON-lines mode for scripts."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from click.testing import CliRunner

from intake.cli.sla import sla_group


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Invoke ``sla <args>``; return exit code, stdout and stderr."""
    result = CliRunner().invoke(sla_group, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_minutes_print_local_time_utc_and_words() -> None:
    code, out, _ = run("deadline", "--start", "2026-03-06T17:00:00-03:00", "--minutes", "60")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "calendar        default (America/Santiago)"
    assert lines[2] == "deadline        2026-03-09T09:00:00-03:00  UTC 2026-03-09T12:00:00+00:00"
    assert lines[3].startswith("plazo hasta el lunes 9 de marzo 09:00; el plazo corre en horario hábil")


def test_priority_prints_both_deadlines_from_a_naive_local_start() -> None:
    code, out, _ = run("deadline", "--start", "2026-03-06T17:00", "--priority", "p4", "--lang", "en")
    assert code == 0
    assert "start           2026-03-06T17:00:00-03:00  UTC 2026-03-06T20:00:00+00:00" in out
    assert "response_due    2026-03-09T12:00:00-03:00  UTC 2026-03-09T15:00:00+00:00" in out
    assert "resolution_due  2026-03-11T17:00:00-03:00  UTC 2026-03-11T20:00:00+00:00" in out
    assert "response by Monday 9 March 12:00 and resolution by Wednesday 11 March 17:00" in out


def test_business_days_on_another_calendar() -> None:
    code, out, _ = run(
        "deadline", "--start", "2026-03-02T15:00", "--business-days", "2", "--calendar", "co-bogota"
    )
    assert code == 0
    assert "calendar        co-bogota (America/Bogota)" in out
    assert "deadline        2026-03-04T15:00:00-05:00  UTC 2026-03-04T20:00:00+00:00" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-03-02T10:00", "--minutes", "30", "--priority", "P1"], "exactly one of --minutes"),
        (["--start", "2026-03-02T10:00"], "exactly one of --minutes"),
        (["--minutes", "30"], "missing --start"),
        (["--start", "yesterday", "--minutes", "30"], "not an ISO 8601 date-time: 'yesterday'"),
        (["--start", "2026-03-02T10:00", "--minutes", "0"], "--minutes"),
        (["--start", "2026-03-02T10:00", "--priority", "P9"], "--priority"),
        (["--start", "2026-03-02T10:00", "--minutes", "5", "--calendar", "mars"], "unknown calendar 'mars'"),
        (["--jsonl", "--minutes", "5"], "--jsonl reads start and budget from stdin"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    code, out, err = run("deadline", *args)
    assert code == 2
    assert message in err
    assert out == ""


def test_jsonl_answers_every_line_and_reports_bad_ones() -> None:
    lines: list[Any] = [
        {"start": "2026-03-06T17:00", "minutes": 30, "id": "a"},
        {"start": "2026-03-06T20:00:00Z", "priority": "P3"},
        {"start": "2026-03-06T17:00", "business_days": 3, "calendar": "co-bogota"},
        {"start": "2026-03-06T17:00", "minutes": 30, "priority": "P1"},
        {"start": "2026-03-06T17:00", "minutes": "30"},
        {"minutes": 30},
        {"start": "2026-03-06T17:00", "priority": "P7"},
        [1, 2],
    ]
    stdin = "\n".join(json.dumps(line) for line in lines[:3]) + "\n\nnot json\n"
    stdin += "\n".join(json.dumps(line) for line in lines[3:]) + "\n"
    code, out, _ = run("deadline", "--jsonl", stdin=stdin)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert answers[0] == {**lines[0], "deadline": "2026-03-06T17:30:00-03:00"}
    assert answers[1] == {
        **lines[1],
        "response_due": "2026-03-09T09:00:00-03:00",
        "resolution_due": "2026-03-11T14:00:00-03:00",
    }
    assert answers[2] == {**lines[2], "deadline": "2026-03-11T17:00:00-05:00"}
    assert answers[3] == {"error": "invalid JSON: Expecting value", "line": 5}
    assert answers[4] == {"error": "give exactly one of minutes, business_days or priority", "line": 6}
    assert answers[5] == {"error": "minutes must be a positive integer, not '30'", "line": 7}
    assert answers[6] == {"error": '"start" must be an ISO 8601 string', "line": 8}
    assert answers[7] == {"error": "priority must be one of P1..P5, not 'P7'", "line": 9}
    assert answers[8] == {"error": "each line must be a JSON object", "line": 10}
    assert len(answers) == 9


def test_jsonl_all_good_exits_zero_and_keeps_unicode() -> None:
    stdin = json.dumps({"start": "2026-03-02T10:00", "minutes": 45, "nota": "pequeña"}, ensure_ascii=False)
    code, out, _ = run("deadline", "--jsonl", stdin=stdin + "\n")
    assert code == 0
    expected = {"start": "2026-03-02T10:00", "minutes": 45, "nota": "pequeña"}
    assert out == json.dumps({**expected, "deadline": "2026-03-02T10:45:00-03:00"}, ensure_ascii=False) + "\n"
    assert "pequeña" in out


OUT_OF_RANGE = "the start or the deadline is out of the supported date range"


def test_jsonl_out_of_range_lines_get_an_error_and_later_lines_still_answer() -> None:
    lines: list[Any] = [
        {"start": "2026-01-05T10:00", "minutes": 99999999999},
        {"start": "9999-12-31T10:00", "business_days": 5},
        {"start": "2026-03-02T10:00", "minutes": 45},
        {"start": "9999-12-31T10:00", "priority": "P5"},
        {"start": "2026-01-05T10:00", "business_days": 99999999999},
        {"start": "9999-12-31T23:00-05:00", "minutes": 5},
        {"start": "2026-03-02T10:00", "business_days": 1},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    code, out, _ = run("deadline", "--jsonl", stdin=stdin)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert len(answers) == len(lines)
    for number in (1, 2, 4, 5, 6):
        assert answers[number - 1] == {"error": OUT_OF_RANGE, "line": number}
    assert answers[2] == {**lines[2], "deadline": "2026-03-02T10:45:00-03:00"}
    assert answers[6] == {**lines[6], "deadline": "2026-03-03T10:00:00-03:00"}


def test_jsonl_deeply_nested_line_is_a_bad_line_not_a_crash() -> None:
    stdin = "[" * 100_000 + "]" * 100_000 + "\n" + json.dumps({"start": "2026-03-02T10:00", "minutes": 5})
    code, out, _ = run("deadline", "--jsonl", stdin=stdin + "\n")
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert answers[0] == {"error": "invalid JSON: nested too deeply", "line": 1}
    assert answers[1]["deadline"] == "2026-03-02T10:05:00-03:00"


@pytest.mark.parametrize(
    "args",
    [
        ["--start", "2026-01-05T10:00", "--minutes", "99999999999"],
        ["--start", "9999-12-31T10:00", "--business-days", "5"],
        ["--start", "9999-12-31T10:00", "--priority", "P5"],
        ["--start", "2026-01-05T10:00", "--business-days", "99999999999"],
        ["--start", "9999-12-31T23:00-05:00", "--minutes", "5"],
    ],
)
def test_out_of_range_is_a_clean_usage_error(args: list[str]) -> None:
    result = CliRunner().invoke(sla_group, ["deadline", *args])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert f"Error: {OUT_OF_RANGE}" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_budget_far_in_the_future_but_in_range_still_answers() -> None:
    code, out, _ = run("deadline", "--start", "9998-12-01T10:00", "--minutes", "60", "--calendar", "cl-24x7")
    assert code == 0
    assert "deadline        9998-12-01T11:00:00-03:00" in out


def test_a_budget_that_cannot_end_before_year_9999_is_refused_without_walking_the_calendar() -> None:
    line = json.dumps({"start": "2026-01-05T10:00", "minutes": 99999999999})
    started = time.monotonic()
    code, out, _ = run("deadline", "--jsonl", stdin=line)
    assert time.monotonic() - started < 5.0  # walking the calendar to year 9999 takes about 25 s
    assert code == 1
    assert json.loads(out) == {"error": OUT_OF_RANGE, "line": 1}
