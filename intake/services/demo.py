"""A demo customer so a fresh `make run` has someone to talk to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import Agent, ChannelIdentity, Company, Contact, SupportPlan

DEMO_COMPANY = "Comercial Andes SpA"
DEMO_WHATSAPP = "+56911111111"
DEMO_TELEGRAM = "111111111"
DEMO_EMAIL = "maria.gonzalez@comercialandes.cl"


def load_demo(session: Session) -> bool:
    """Create the demo plan, companies, contact and agents once; return False when already there."""
    if session.scalar(select(Company).where(Company.name == DEMO_COMPANY)) is not None:
        return False
    plan = SupportPlan(
        name="Plan Estándar",
        calendar_name="default",
        includes_requests=True,
        request_rule="included",
        hours_bank_minutes=20 * 60,
    )
    basic = SupportPlan(
        name="Plan Incidentes", calendar_name="default", includes_requests=False, request_rule="quote"
    )
    andes = Company(name=DEMO_COMPANY, plan=plan)
    session.add_all(
        [
            plan,
            basic,
            andes,
            Company(name="Distribuidora del Pacífico Ltda.", plan=basic),
            Company(name="Viña Santa Emilia S.A.", plan=plan),
        ]
    )
    contact = Contact(name="María González", email=DEMO_EMAIL, company=andes)
    session.add(contact)
    session.add_all(
        [
            ChannelIdentity(contact=contact, channel="whatsapp", address=DEMO_WHATSAPP),
            ChannelIdentity(
                contact=contact, channel="telegram", address=DEMO_TELEGRAM, chat_id=DEMO_TELEGRAM
            ),
            ChannelIdentity(contact=contact, channel="email", address=DEMO_EMAIL),
            ChannelIdentity(contact=contact, channel="chat", address=DEMO_WHATSAPP),
        ]
    )
    session.add_all(
        [
            Agent(name="Ana Soporte", email="ana@latamadvisory.example"),
            Agent(name="Carlos Supervisor", email="carlos@latamadvisory.example", is_supervisor=True),
        ]
    )
    return True
