"""CPU per dialog turn and per send in the worker, against a bare signature check in the same process.

Run: .venv/bin/python bench/worker_cpu.py [--customers 100] [POSTGRES_ADMIN_URL]
     (default admin URL from TEST_DATABASE_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test;
     works in a scratch database, dropped at the end)

`--customers` WhatsApp customers each send "hola" and then "1"; the messages are accepted into the
inbox, then their turns run one after another (`Inbox.run_once`) and then their replies are sent one
after another (`OutboxWorker.run_once`) to a fake Twilio on loopback that answers at once. Printed:
process CPU (`time.process_time`) per turn and per send — the fake Twilio's request handling runs in this
process too and is counted in the sends — and, as the baseline measured in the same process, the CPU of
one Twilio signature check (what a bare webhook endpoint does).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "t" * 32
DEFAULT_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("admin_url", nargs="?", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN))
    parser.add_argument("--customers", type=int, default=100)
    args = parser.parse_args()

    from bot.messages import Channel, InboundMessage
    from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
    from intake.bootstrap import build_container
    from intake.config import Settings
    from intake.db import upgrade
    from intake.db.models import utcnow
    from tests.support.postgres import scratch_postgres_database
    from tests.support.provider import SlowTwilio, threaded_server
    from tests.support.twilio_fake import ACCOUNT

    baseline = _signature_cpu()
    with scratch_postgres_database(args.admin_url, "intake_cpu") as url:
        upgrade(url)
        server = threaded_server()
        twilio = SlowTwilio(server)
        data = Path(tempfile.mkdtemp())
        settings = Settings(database_url=url, data_dir=data, attachments_dir=data / "files")
        config = WhatsAppConfig(
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            from_number="whatsapp:+14155238886",
            api_base_url=twilio.base_url,
        )
        container = build_container(settings, adapters={"whatsapp": WhatsAppAdapter(config)})
        assert container.inbox is not None
        sender = container.make_worker()
        for step, text in enumerate(["hola", "1"]):
            numbers = [f"+5697714{n:04d}" for n in range(args.customers)]
            container.inbox.accept(
                [
                    InboundMessage(
                        channel=Channel.WHATSAPP,
                        sender_id=number,
                        chat_id=number,
                        provider_message_id=f"SM{step}{n:031d}",
                        received_at=utcnow(),
                        text=text,
                    )
                    for n, number in enumerate(numbers)
                ]
            )
            started = time.process_time()
            turns = container.inbox.run_once()
            turned = time.process_time()
            sent = 0
            while batch := sender.run_once():
                sent += batch
            done = time.process_time()
            per_turn, per_send = (turned - started) / turns, (done - turned) / max(sent, 1)
            print(
                f"{text!r:>7}: {turns} turns {per_turn * 1000:5.1f} ms CPU each "
                f"({per_turn / baseline:5.0f}× a signature check); "
                f"{sent} sends {per_send * 1000:5.1f} ms CPU each ({per_send / baseline:5.0f}×)"
            )
        container.close()
        server.stop()
    print(f"baseline: one Twilio signature check {baseline * 1e6:.0f} µs CPU")


def _signature_cpu(rounds: int = 2000) -> float:
    """CPU of one RequestValidator.validate on a typical inbound form (the bare endpoint's work)."""
    from twilio.request_validator import RequestValidator

    from tests.support.signing import twilio_signature

    url = "https://desk.example.com/webhooks/whatsapp"
    form = {"MessageSid": "SM" + "0" * 32, "From": "whatsapp:+56977140000", "Body": "hola", "NumMedia": "0"}
    signature = twilio_signature(TOKEN, url, form)
    validator = RequestValidator(TOKEN)
    started = time.process_time()
    for _ in range(rounds):
        assert validator.validate(url, form, signature)
    return (time.process_time() - started) / rounds


if __name__ == "__main__":
    main()
