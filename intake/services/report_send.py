"""`report send`: e-mail each company's monthly report (PDF attached) to its report contacts, through the
outbox and the e-mail channel. Idempotent per month, company and address: the outbox rows of kind
``monthly_report`` are the record of what was sent; ``force`` sends again.

Three steps, so no transaction is held while PDFs render: read the reports and who gets them, render
the PDFs (one per company and language), then queue the mails in one short transaction that checks
again what was already sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel
from bot.texts import text
from channels.base import OutboundMessage
from intake.db import unit_of_work
from intake.db.models import Company, OutboxMessage
from intake.db.storage import FileStore
from intake.delivery.outbox import enqueue
from intake.domain.events import Actor
from intake.domain.report import Month, MonthlyReport, ReportError
from intake.services.companies import CompanyLookupError, CompanyRef, company_id_of
from intake.services.report import ReportContact, build_report, report_contacts
from intake.services.report_output import language, month_title, pdf_filename, report_pdf
from intake.services.sla import SlaService

KIND = "monthly_report"


@dataclass
class SendSummary:
    """What `report send` did: mails queued, mails already sent before, companies nobody receives."""

    month: str
    queued: list[tuple[str, str]] = field(default_factory=list)  # (company, e-mail)
    already_sent: list[tuple[str, str]] = field(default_factory=list)
    without_contacts: list[str] = field(default_factory=list)


@dataclass
class _Mailing:
    """One company's report, who gets it, and its PDFs by language (paths in the file store)."""

    report: MonthlyReport
    contacts: list[ReportContact]
    pdfs: dict[str, str] = field(default_factory=dict)


class ReportMailer:
    """Queues each company's report PDF to its report contacts (the outbox worker delivers them)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        sla: SlaService,
        store: FileStore,
        clock: Callable[[], datetime],
        email_ready: Callable[[], bool],
    ) -> None:
        self.session_factory = session_factory
        self.sla = sla
        self.store = store
        self.clock = clock
        self.email_ready = email_ready

    def send(self, month: Month, *, company: CompanyRef | None = None, force: bool = False) -> SendSummary:
        """Queue the month's reports (every active company, or one); ReportError (nothing queued) when
        e-mail is not configured or the company is unknown."""
        if not self.email_ready():
            raise ReportError("e-mail is not configured (SMTP_HOST): no report was sent")
        summary = SendSummary(month.label)
        mailings = self._read(month, company, force, summary)
        for mailing in mailings:
            self._render(mailing)
        with unit_of_work(self.session_factory) as session:
            for mailing in mailings:
                self._queue(session, mailing, force, summary)
        return summary

    def _read(
        self, month: Month, company: CompanyRef | None, force: bool, summary: SendSummary
    ) -> list[_Mailing]:
        """The reports to send and to whom (contacts who already have it are left out unless forced)."""
        mailings = []
        with unit_of_work(self.session_factory) as session:
            for company_id, name in _companies(session, company):
                contacts = report_contacts(session, company_id)
                if not contacts:
                    summary.without_contacts.append(name)
                    continue
                sent = set() if force else _already_sent(session, month.label, company_id)
                pending = [c for c in contacts if c.email.strip().lower() not in sent]
                summary.already_sent += [(name, c.email.strip()) for c in contacts if c not in pending]
                if pending:
                    mailings.append(_Mailing(build_report(session, self.sla, month, company_id), pending))
        return mailings

    def _render(self, mailing: _Mailing) -> None:
        for lang in sorted({language(c.language) for c in mailing.contacts}):
            pdf = report_pdf(mailing.report, lang)
            stored = self.store.put(pdf, "application/pdf", pdf_filename(mailing.report, lang))
            mailing.pdfs[lang] = str(stored.path)

    def _queue(self, session: Session, mailing: _Mailing, force: bool, summary: SendSummary) -> None:
        report = mailing.report
        assert report.company_id is not None
        # Two runs at once (cron and an admin): the company's row lock makes the second see the first's rows.
        session.execute(select(Company.id).where(Company.id == report.company_id).with_for_update())
        sent = set() if force else _already_sent(session, report.month.label, report.company_id)
        now = self.clock()
        for contact in mailing.contacts:
            address = contact.email.strip()
            if address.lower() in sent:  # sent by a run that finished while this one rendered
                summary.already_sent.append((report.company, address))
                continue
            lang = language(contact.language)
            body = text(
                "report.email.body",
                lang,
                month=month_title(report, lang),
                company=report.company,
                name=contact.name,
            )
            message = OutboundMessage(
                channel=Channel.EMAIL,
                recipient=address,
                text=body,
                kind=KIND,
                media_path=mailing.pdfs[lang],
                media_filename=pdf_filename(report, lang),
                media_content_type="application/pdf",
                language=lang,
                template_variables={"month": report.month.label, "company_id": str(report.company_id)},
            )
            enqueue(session, message, now=now, author=Actor.SYSTEM.value)
            summary.queued.append((report.company, address))


def _companies(session: Session, ref: CompanyRef | None) -> list[tuple[int, str]]:
    """The named company, or every active company by name."""
    if ref is not None:
        try:
            company_id = company_id_of(session, ref)
        except CompanyLookupError as exc:
            raise ReportError(str(exc)) from None
        found = session.get(Company, company_id)
        if found is None:
            raise ReportError(f"no company has id {company_id} (see `intake-bot company list`)")
        return [(found.id, found.name)]
    rows = session.execute(
        select(Company.id, Company.name).where(Company.active.is_(True)).order_by(Company.name)
    )
    return [(int(cid), name) for cid, name in rows]


def _already_sent(session: Session, month: str, company_id: int) -> set[str]:
    """Addresses the company's report for the month was already queued to (any delivery status but dead)."""
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == KIND, OutboxMessage.status != "dead")
    )
    found = set()
    for row in rows:
        variables = row.payload.get("template_variables") or {}
        if variables.get("month") == month and variables.get("company_id") == str(company_id):
            found.add(row.recipient.strip().lower())
    return found
