"""CSV import of customer companies and their contacts: a preview with an error per bad row, then the import.

One row per contact (a row without contact columns sets up the company alone). The good rows are imported
and the bad ones skipped, all in one transaction; the preview runs the very same import and rolls it back,
so it shows exactly what the import will do. Re-importing a file changes nothing: companies are matched by
tax id, then by name; contacts by e-mail, then phone, then WhatsApp or Telegram identity.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import ChannelIdentity, Company, Contact, SupportPlan
from intake.services.desk_contacts import CHANNEL_LABELS, apply_contact, check_clashes
from intake.services.setup_rules import (
    Invalid,
    Problem,
    SetupError,
    audit,
    clean_email,
    clean_name,
    clean_phone,
    clean_tax_id,
    clean_telegram,
)

COLUMNS = ("company", "tax_id", "plan", "contact_name", "email", "phone", "whatsapp", "telegram")
"""The CSV's columns (header row required, any order; only `company` is mandatory)."""
CONTACT_COLUMNS = COLUMNS[3:]
MAX_BYTES = 400_000  # the confirm form re-posts the text: under werkzeug's 500 kB form limit
MAX_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one cell: the file's line number (the header is line 1), the column, the problem."""

    row: int
    column: str
    problem: Problem

    @property
    def message(self) -> str:
        """The problem in English."""
        return self.problem.text()

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


def row_error(row: int, column: str, code: str, **params: Any) -> RowError:
    """A RowError with a problem code and its params (see setup_messages.SETUP_MESSAGES)."""
    return RowError(row, column, Problem(code, params))


@dataclass(frozen=True, slots=True)
class RowResult:
    """One data row: its values, what the import does with it (or why it cannot)."""

    row: int
    values: dict[str, str]
    company_action: str = ""  # created | updated | unchanged
    contact_action: str = ""  # created | updated | unchanged | "" (no contact on the row)
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the row is imported."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, for a preview, would do)."""

    rows: tuple[RowResult, ...]
    file_errors: tuple[RowError, ...] = ()
    applied: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        """Every error, file-level first."""
        return [*self.file_errors, *(e for row in self.rows for e in row.errors)]

    @property
    def good_rows(self) -> int:
        """How many rows are (or would be) imported."""
        return 0 if self.file_errors else sum(1 for row in self.rows if row.ok)


class CustomerImport:
    """Preview and import customer CSV files on one database and clock."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def preview(self, data: bytes | str) -> ImportReport:
        """What importing this file would do, row by row (nothing is written)."""
        return self._run(data, "", apply=False)

    def run(self, data: bytes | str, actor: str) -> ImportReport:
        """Import the good rows in one transaction (bad rows are skipped and reported); audited."""
        return self._run(data, actor, apply=True)

    def _run(self, data: bytes | str, actor: str, *, apply: bool) -> ImportReport:
        rows, file_errors = read_csv(data)
        if file_errors:
            return ImportReport(rows=(), file_errors=tuple(file_errors))
        session = self.session_factory()
        try:
            results = tuple(
                _import_row(session, row, values, shape, self.clock()) for row, values, shape in rows
            )
            counts = _counts(results)
            if apply:
                audit(session, self.clock(), actor, "customers.import", f"{len(results)} rows", counts)
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        return ImportReport(rows=results, applied=apply, counts=counts)


ParsedRow = tuple[int, dict[str, str], list[RowError]]


def read_csv(data: bytes | str) -> tuple[list[ParsedRow], list[RowError]]:
    """The data rows (line number, values by column, shape errors) or the file-level errors."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            return [], [row_error(1, "-", "import.too_large", kb=MAX_BYTES // 1000)]
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [row_error(1, "-", "import.not_utf8")]
    else:
        text = data.removeprefix("\ufeff")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    errors = _header_errors(header)
    if errors:
        return [], errors
    rows: list[ParsedRow] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            return [], [row_error(reader.line_num, "-", "import.too_many_rows", limit=MAX_ROWS)]
        shape = []
        if len(cells) > len(header):
            shape.append(
                row_error(reader.line_num, "-", "import.extra_cells", cells=len(cells), columns=len(header))
            )
        values = {column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(header)}
        rows.append((reader.line_num, {c: values.get(c, "") for c in COLUMNS}, shape))
    return rows, errors


def _header_errors(header: list[str]) -> list[RowError]:
    if not header:
        return [row_error(1, "-", "import.empty")]
    unknown = [h for h in header if h not in COLUMNS]
    errors = [
        row_error(1, h or "(empty)", "import.unknown_column", columns=", ".join(COLUMNS)) for h in unknown
    ]
    if "company" not in header:
        errors.append(row_error(1, "company", "import.no_company_column"))
    duplicated = sorted({h for h in header if header.count(h) > 1})
    errors += [row_error(1, h, "import.duplicate_column") for h in duplicated]
    return errors


def _import_row(
    session: Session, row: int, values: dict[str, str], shape: list[RowError], now: datetime
) -> RowResult:
    """Check one row against the file so far and the database, then write it (or nothing at all)."""
    cleaned, errors = _clean(row, values)
    errors = shape + errors
    company: Company | None = None
    plan: SupportPlan | None = None
    if not errors:
        company, plan, company_errors = _company_of(session, row, cleaned)
        errors += company_errors
    contact: Contact | None = None
    if not errors and cleaned["contact_name"]:
        contact, contact_errors = _contact_of(session, row, cleaned, company)
        errors += contact_errors
    if errors:
        return RowResult(row, values, errors=tuple(errors))
    company_action = _write_company(session, company, cleaned, plan, now)
    contact_action = (
        _write_contact(session, contact, cleaned, company, now) if cleaned["contact_name"] else ""
    )
    return RowResult(row, values, company_action=company_action, contact_action=contact_action)


def _clean(row: int, values: dict[str, str]) -> tuple[dict[str, Any], list[RowError]]:
    has_contact = any(values[c] for c in CONTACT_COLUMNS)
    checks: dict[str, Callable[[str], Any]] = {
        "company": lambda v: clean_name(v, "company"),
        "tax_id": clean_tax_id,
        "plan": lambda v: v.strip() or None,
        "contact_name": (lambda v: clean_name(v, "contact")) if has_contact else (lambda v: None),
        "email": clean_email,
        "phone": clean_phone,
        "whatsapp": clean_phone,
        "telegram": clean_telegram,
    }
    cleaned: dict[str, Any] = {}
    errors: list[RowError] = []
    for column, check in checks.items():
        try:
            cleaned[column] = check(values[column])
        except Invalid as exc:
            problem = Problem("import.contact_name_missing") if column == "contact_name" else exc.problem
            errors.append(RowError(row, column, problem))
    return cleaned, errors


def _company_of(
    session: Session, row: int, cleaned: dict[str, Any]
) -> tuple[Company | None, SupportPlan | None, list[RowError]]:
    errors: list[RowError] = []
    plan = None
    if cleaned["plan"]:
        plan = session.scalar(
            select(SupportPlan).where(func.lower(SupportPlan.name) == cleaned["plan"].lower())
        )
        if plan is None:
            known = ", ".join(session.scalars(select(SupportPlan.name).order_by(SupportPlan.name)))
            if known:
                errors.append(
                    row_error(row, "plan", "import.plan_unknown", plan=cleaned["plan"], known=known)
                )
            else:
                errors.append(row_error(row, "plan", "import.plan_unknown_none", plan=cleaned["plan"]))
    by_tax = (
        session.scalar(select(Company).where(Company.tax_id == cleaned["tax_id"]))
        if cleaned["tax_id"]
        else None
    )
    by_name = session.scalar(select(Company).where(func.lower(Company.name) == cleaned["company"].lower()))
    if by_tax is not None and by_name is not None and by_tax.id != by_name.id:
        errors.append(
            row_error(
                row,
                "tax_id",
                "import.tax_id_elsewhere",
                tax_id=cleaned["tax_id"],
                owner=by_tax.name,
                company=by_name.name,
            )
        )
    elif by_tax is None and by_name is not None and by_name.tax_id and cleaned["tax_id"]:
        errors.append(
            row_error(
                row,
                "tax_id",
                "import.tax_id_mismatch",
                company=by_name.name,
                tax_id=by_name.tax_id,
                given=cleaned["tax_id"],
            )
        )
    return by_tax or by_name, plan, errors


def _contact_of(
    session: Session, row: int, cleaned: dict[str, Any], company: Company | None
) -> tuple[Contact | None, list[RowError]]:
    contact, column = _match_contact(session, cleaned)
    if (
        contact is not None
        and contact.company_id is not None
        and (company is None or contact.company_id != company.id)
    ):
        owner = session.get(Company, contact.company_id)
        where = owner.name if owner else f"#{contact.company_id}"
        params = {
            "value": cleaned[column],
            "contact": contact.name,
            "contact_id": contact.id,
            "company": where,
        }
        return contact, [row_error(row, column, "import.contact_elsewhere", **params)]
    try:
        check_clashes(session, contact.id if contact else None, cleaned)
    except SetupError as exc:
        return contact, [RowError(row, column, problem) for column, problem in exc.errors.items()]
    return contact, []


def _match_contact(session: Session, cleaned: dict[str, Any]) -> tuple[Contact | None, str]:
    """The existing contact of this row (by e-mail, phone, WhatsApp, Telegram) and the column matched."""
    if cleaned["email"]:
        found = session.scalar(select(Contact).where(func.lower(Contact.email) == cleaned["email"]))
        if found is not None:
            return found, "email"
    if cleaned["phone"]:
        found = session.scalar(select(Contact).where(Contact.phone == cleaned["phone"]).order_by(Contact.id))
        if found is not None:
            return found, "phone"
    for channel in CHANNEL_LABELS:
        if cleaned[channel]:
            found = session.scalar(
                select(Contact)
                .join(ChannelIdentity, ChannelIdentity.contact_id == Contact.id)
                .where(ChannelIdentity.channel == channel, ChannelIdentity.address == cleaned[channel])
            )
            if found is not None:
                return found, channel
    return None, ""


def _write_company(
    session: Session,
    company: Company | None,
    cleaned: dict[str, Any],
    plan: SupportPlan | None,
    now: datetime,
) -> str:
    if company is None:
        session.add(Company(name=cleaned["company"], tax_id=cleaned["tax_id"], plan=plan, created_at=now))
        session.flush()
        return "created"
    before = (company.name, company.tax_id, company.plan_id)
    company.name = cleaned["company"]
    company.tax_id = cleaned["tax_id"] or company.tax_id
    company.plan_id = plan.id if plan is not None else company.plan_id
    session.flush()
    return "unchanged" if before == (company.name, company.tax_id, company.plan_id) else "updated"


def _write_contact(
    session: Session, contact: Contact | None, cleaned: dict[str, Any], company: Company | None, now: datetime
) -> str:
    company = company or session.scalar(
        select(Company).where(func.lower(Company.name) == cleaned["company"].lower())
    )
    company_id = company.id if company is not None else None
    values = {key: cleaned[key] for key in ("email", "phone", "whatsapp", "telegram")} | {
        "name": cleaned["contact_name"]
    }
    if contact is None:
        contact = Contact(created_at=now)
        session.add(contact)
        apply_contact(session, contact, values, company_id, verified=True)
        return "created"
    before = _snapshot(session, contact)
    values["email"] = values["email"] or contact.email
    values["phone"] = values["phone"] or contact.phone
    apply_contact(session, contact, values, company_id, verified=True)
    session.flush()
    return "unchanged" if before == _snapshot(session, contact) else "updated"


def _snapshot(session: Session, contact: Contact) -> tuple[Any, ...]:
    identities = sorted(
        session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.address).where(
                ChannelIdentity.contact_id == contact.id
            )
        ).all()
    )
    return (
        contact.name,
        contact.email,
        contact.phone,
        contact.company_id,
        contact.verified,
        tuple(identities),
    )


def _counts(results: tuple[RowResult, ...]) -> dict[str, int]:
    counts = {"rows": len(results), "skipped": sum(1 for r in results if not r.ok)}
    for result in results:
        for kind, action in (("companies", result.company_action), ("contacts", result.contact_action)):
            if action:
                counts[f"{kind}_{action}"] = counts.get(f"{kind}_{action}", 0) + 1
    return counts
