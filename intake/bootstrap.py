"""The composition root: builds engine, session factory, services, channel adapters and the worker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import InboundMessage
from channels.base import OutboundChannel
from channels.email_imap import ImapConfig, ImapPoller
from channels.web import WebPageAdapter
from intake.config import Settings
from intake.db import make_engine, make_session_factory, unit_of_work
from intake.db.models import Attachment, OutboxMessage, utcnow
from intake.db.storage import FileStore
from intake.delivery.media_links import MediaLinks
from intake.delivery.outbox import OutboxWorker, RetryPolicy
from intake.delivery.runner import DeliveryLoop, LeasedWork
from intake.delivery.tracking_links import LinkKeys, configure_links
from intake.delivery.wakeup import CHANNEL, INBOX_CHANNEL, INBOX_WAKEUPS, WAKEUPS, PostgresListener, Wakeups
from intake.delivery.whatsapp_window import WhatsAppRouter
from intake.jobs.media import MediaDownloadJob
from intake.jobs.sweeper import Sweeper
from intake.services.agent_actions import AgentActions
from intake.services.agent_chat import AgentChat, deliver_upload, refuse_upload
from intake.services.contacts import Contacts
from intake.services.contingency import Contingencies, ContingencyService
from intake.services.conversations import ConversationService, DialogSettings
from intake.services.handoffs import Handoffs
from intake.services.hours_bank import HoursBank
from intake.services.inbound import InboundService
from intake.services.inbound_limits import SenderLimit
from intake.services.inbox import Inbox
from intake.services.mail_intake import MailIntake
from intake.services.notify import AlertRouting, alert_delivery_failed, forward_evidence, tell_file_refused
from intake.services.queue import QueueService
from intake.services.report import ReportService
from intake.services.report_send import ReportMailer
from intake.services.sla import SlaService
from intake.services.tickets import TicketService

log = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything the app, the worker and the CLI share; built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    adapters: dict[str, OutboundChannel] = field(default_factory=dict)
    imap: ImapConfig | None = None
    sla: SlaService = field(init=False)
    tickets: TicketService = field(init=False)
    conversations: ConversationService = field(init=False)
    store: FileStore = field(init=False)
    media_links: MediaLinks = field(init=False)
    agent_actions: AgentActions = field(init=False)
    inbound: InboundService = field(init=False)
    inbox: Inbox | None = field(init=False)  # None when webhooks run turns inline (INBOUND_MODE=inline)
    contingencies: Contingencies = field(init=False)
    contacts: Contacts = field(init=False)
    handoffs: Handoffs = field(init=False)
    agent_chat: AgentChat = field(init=False)
    hours_bank: HoursBank = field(init=False)
    whatsapp_router: WhatsAppRouter | None = field(init=False)
    reports: ReportService = field(init=False)
    report_mailer: ReportMailer = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.sla = SlaService(s.default_calendar)
        alerts = AlertRouting(
            agent_chat_id=s.agent_telegram_chat_id,
            email_enabled=bool(s.smtp_host),
            supervisor_email=s.supervisor_email,
        )
        self.tickets = TicketService(self.sla, prefix=s.ticket_prefix, alerts=alerts)
        dialog = DialogSettings(
            idle_timeout=timedelta(minutes=s.dialog_idle_minutes),
            duplicate_window=timedelta(days=s.duplicate_window_days),
            default_language=s.default_language,
            alerts=alerts,
            validation_auto_close_business_days=s.validation_auto_close_business_days,
        )
        self.conversations = ConversationService(self.sla, self.tickets, dialog)
        self.store = FileStore(s.attachments_dir)
        self.adapters.setdefault("web", WebPageAdapter(self.store.root))  # web form: replies shown, uploads
        self.media_links = MediaLinks(s.secret_key, s.public_base_url, self.clock)
        limit = SenderLimit(s.inbound_sender_max_messages, timedelta(seconds=s.inbound_sender_window_seconds))
        self.inbound = InboundService(self.session_factory, self.conversations, self.clock, limit=limit)
        whatsapp = self.adapters.get("whatsapp")
        # The pre-send hook: WhatsApp's 24-hour window routing, when WhatsApp is configured.
        self.whatsapp_router = (
            WhatsAppRouter(whatsapp, email_ready=lambda: "email" in self.adapters)  # type: ignore[arg-type]
            if whatsapp is not None
            else None
        )
        self.contingencies = Contingencies(self.session_factory, ContingencyService(self.tickets), self.clock)
        self.contacts = Contacts(self.session_factory)
        self.reports = ReportService(self.session_factory, self.sla, self.clock)
        self.report_mailer = ReportMailer(
            self.session_factory, self.sla, self.store, self.clock, lambda: "email" in self.adapters
        )
        self.agent_actions = AgentActions(
            self.session_factory, self.tickets, self.conversations, self.store, self.clock
        )
        self.handoffs = Handoffs(self.session_factory, self.conversations, self.clock)
        self.hours_bank = HoursBank(self.session_factory, self.clock, alerts)
        self.agent_chat = AgentChat(
            self.session_factory,
            self.agent_actions,
            self.handoffs,
            self.contingencies,
            QueueService(self.session_factory, self.sla, self.clock, self.handoffs),
            self.sla,
            self.clock,
            group_chat_id=s.agent_telegram_chat_id,
            ticket_prefix=s.ticket_prefix,
        )
        self.inbound.agents = self.agent_chat  # agents' Telegram traffic goes to their use case
        self.inbox = (
            Inbox(
                self.engine,
                self.session_factory,
                self.inbound,
                self.clock,
                lease_seconds=s.outbox_lease_seconds,
            )
            if s.inbound_mode == "queue"
            else None
        )
        configure_links(self.session_factory, LinkKeys(s.secret_key, s.public_base_url, bool(s.smtp_host)))

    def accept_inbound(self, messages: Sequence[InboundMessage]) -> None:
        """A webhook's verified messages: into the inbox for the worker's turn, or a turn now (inline)."""
        if self.inbox is not None:
            self.inbox.accept(messages)
            return
        for inbound in messages:
            self.inbound.handle_inbound(inbound, now=self.clock())

    def delivery_status(self, update: Any) -> None:
        """Apply a provider's delivery-status callback (WhatsApp's)."""
        if self.whatsapp_router is not None:
            self.whatsapp_router.handle_status(self.session_factory, update, self.clock())

    def make_worker(
        self,
        conversation_ids: Collection[int] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> OutboxWorker:
        """An outbox worker wired to this container's adapters and settings (customer messages of
        `conversation_ids` only, when given: the terminal simulator's own chat; on `clock` if given)."""
        s = self.settings
        policy = RetryPolicy(
            s.outbox_max_attempts, s.outbox_backoff_base_seconds, s.outbox_backoff_max_seconds
        )
        return OutboxWorker(
            self.session_factory,
            self.adapters,
            clock=clock or self.clock,
            policy=policy,
            batch_size=s.outbox_batch_size,
            lease_seconds=s.outbox_lease_seconds,
            router=self.whatsapp_router,
            media_links=self.media_links,
            conversation_ids=conversation_ids,
            on_dead=self._alert_dead_letter,
        )

    def _alert_dead_letter(self, session: Session, row: OutboxMessage, reason: str, now: datetime) -> None:
        """A customer's message that could not be delivered is an alert to agents."""
        alert_delivery_failed(session, row, reason, now=now, routing=self.tickets.alerts)

    def make_mail_intake(self) -> MailIntake:
        """The e-mail inbound use case (shared by `mail ingest`, `mail poll` and the worker's poller)."""
        own = (parseaddr(self.settings.email_from)[1],)
        return MailIntake(
            self.session_factory,
            self.tickets,
            self.store,
            self.clock,
            own,
            signing_key=self.settings.secret_key,
            conversations=self.conversations,
        )

    def make_mail_poller(self) -> ImapPoller | None:
        """The IMAP poller feeding `MailIntake.ingest`, or None when IMAP is not configured."""
        if self.imap is None:
            return None
        failures = self.settings.data_dir / "mail-failures.json"
        return ImapPoller(self.imap, self.make_mail_intake().ingest_from_mailbox, failures)

    def make_sweeper(self) -> Sweeper:
        """The SLA sweeper (alerts, reminders, auto-close, idle dialogs) on this container's services."""
        return Sweeper(
            self.session_factory,
            sla=self.sla,
            tickets=self.tickets,
            conversations=self.conversations,
            settings=self.settings,
            clock=self.clock,
        )

    def make_media_fetcher(self) -> MediaDownloadJob:
        """A media fetcher storing customers' files under the attachments directory."""
        return MediaDownloadJob(
            self.session_factory,
            self.adapters,
            self.store,
            clock=self.clock,
            on_refused=self._file_refused,
            on_stored=self._file_stored,
        )

    def _file_stored(self, session: Session, attachment: Attachment, path: str, now: datetime) -> None:
        """An agent's file from Telegram goes to the customer; a customer's goes on to the agents' chats."""
        if not deliver_upload(session, attachment, path, now, self.tickets):
            forward_evidence(session, attachment, path, now=now, routing=self.tickets.alerts)

    def _file_refused(self, session: Session, attachment: Attachment, code: str, now: datetime) -> None:
        """Whoever sent a file that was not kept is told: the agent in Telegram, else the customer."""
        if not refuse_upload(session, attachment, now):
            tell_file_refused(session, attachment, code, now)

    def run_jobs_once(
        self,
        conversation_ids: Collection[int] | None = None,
        delivery_clock: Callable[[], datetime] | None = None,
    ) -> int:
        """One pass of every background job (used by tests, the chat simulator and `worker --once`);
        `conversation_ids` and `delivery_clock` shape the outbox worker (see `make_worker`)."""
        done = self.inbox.run_once() if self.inbox is not None else 0
        done += self.make_sweeper().run_once().actions
        done += self.make_media_fetcher().run_once()
        done += self.make_worker(conversation_ids, delivery_clock).run_once()
        return done

    def close(self) -> None:
        """Release adapters' resources and the connection pool."""
        for adapter in self.adapters.values():
            closer = getattr(adapter, "close", None)
            if callable(closer):
                closer()
        self.engine.dispose()

    def transaction(self) -> Any:
        """A unit of work on this container's database."""
        return unit_of_work(self.session_factory)


def build_container(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    adapters: dict[str, OutboundChannel] | None = None,
    imap: ImapConfig | None = None,
) -> Container:
    """Wire the application from settings; tests pass their own clock and adapters (and IMAP mailbox)."""
    # One connection per thread that may hold one: the delivery loop's senders, the inbox's turns, the
    # sweeper, the media fetcher and the request thread. Too small a pool makes the overflow open and close
    # a PostgreSQL connection (a forked backend) on every send.
    threads = settings.outbox_concurrency + settings.inbound_concurrency + 4
    engine = make_engine(settings.database_url, pool_size=threads, max_overflow=10)
    return Container(settings, engine, make_session_factory(engine), clock, dict(adapters or {}), imap)


def run_background_loops(container: Container, stop: threading.Event) -> list[threading.Thread]:
    """Start the outbox and inbox loops, the media fetcher, the sweeper (and mail poller) in daemon threads.

    Set `stop` and join the threads to stop: the delivery loop then releases its claims (see
    intake.delivery.runner), so join them for up to settings.outbox_stop_grace_seconds + a few.
    """
    s = container.settings
    threads = _start_leased_loop(
        container, stop, container.make_worker(), s.outbox_concurrency, WAKEUPS, CHANNEL, "outbox"
    )
    threads += _start_inbox(container, stop)
    threads += [_start_media_fetcher(container, stop), _start_sweeper(container, stop)]
    poller = container.make_mail_poller()
    if poller is not None:
        threads.append(start_mail_poller(poller, stop))
    return threads


def start_mail_poller(poller: ImapPoller, stop: threading.Event) -> threading.Thread:
    """Poll the IMAP mailbox (IDLE when offered) in a daemon thread until `stop` is set."""
    thread = threading.Thread(target=poller.run, args=(stop,), name="mail-poller", daemon=True)
    thread.start()
    return thread


def _start_inbox(container: Container, stop: threading.Event) -> list[threading.Thread]:
    """Run accepted messages' dialog turns (several senders at once), woken by each webhook's commit."""
    if container.inbox is None:
        return []
    concurrency = container.settings.inbound_concurrency
    return _start_leased_loop(
        container, stop, container.inbox, concurrency, INBOX_WAKEUPS, INBOX_CHANNEL, "inbox"
    )


def _start_leased_loop(
    container: Container,
    stop: threading.Event,
    work: LeasedWork,
    concurrency: int,
    wakeups: Wakeups,
    channel: str,
    name: str,
) -> list[threading.Thread]:
    """A DeliveryLoop over `work` in a daemon thread, woken in-process and (PostgreSQL) by NOTIFY."""
    s = container.settings
    wake = wakeups.subscribe()
    loop = DeliveryLoop(
        work,
        concurrency=concurrency,
        poll_seconds=s.worker_poll_seconds,
        grace_seconds=s.outbox_stop_grace_seconds,
        wake=wake,
        name=name,
    )

    def run() -> None:
        try:
            loop.run(stop)
        finally:
            wakeups.unsubscribe(wake)

    threads = [threading.Thread(target=run, name=f"{name}-loop", daemon=True)]
    if container.engine.dialect.name == "postgresql":
        threads.append(PostgresListener(s.database_url, wake, stop, channel=channel).start())
    threads[0].start()
    return threads


def _start_media_fetcher(container: Container, stop: threading.Event) -> threading.Thread:
    """Fetch customers' files in a daemon thread, polling every settings.worker_poll_seconds when idle."""
    fetcher = container.make_media_fetcher()

    def loop() -> None:
        while not stop.is_set():
            try:
                busy = fetcher.run_once()
            except Exception:  # keep the loop alive; the failure is logged and retried next tick
                log.exception("media fetch iteration failed")
                busy = 0
            if not busy:
                stop.wait(container.settings.worker_poll_seconds)

    thread = threading.Thread(target=loop, name="media-fetcher", daemon=True)
    thread.start()
    return thread


def _start_sweeper(container: Container, stop: threading.Event) -> threading.Thread:
    """Run the sweeper every settings.sweeper_interval_seconds in its own daemon thread."""
    sweeper = container.make_sweeper()

    def loop() -> None:
        try:  # open tickets that predate the next-check column (or were imported) get one now
            sweeper.backfill()
        except Exception:
            log.exception("sweeper backfill failed")
        keep = timedelta(days=container.settings.inbox_keep_days)
        while not stop.is_set():
            try:
                sweeper.run_once()
                if container.inbox is not None:
                    container.inbox.purge(keep)
            except Exception:  # keep sweeping; the failure is logged and retried next interval
                log.exception("sweeper iteration failed")
            stop.wait(container.settings.sweeper_interval_seconds)

    thread = threading.Thread(target=loop, name="sla-sweeper", daemon=True)
    thread.start()
    return thread
