"""Settings: sensible embedded defaults, fail fast with the bad variable named."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import SettingsError, load_settings


def test_defaults_give_an_embedded_sqlite_setup() -> None:
    s = load_settings({}, env_file=None)
    assert s.database_url == "sqlite:///var/intake.db"
    assert s.attachments_dir == Path("var/attachments")
    assert s.default_language == "es"
    assert not s.whatsapp_enabled and not s.telegram_enabled


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"OUTBOX_MAX_ATTEMPTS": "many"}, "OUTBOX_MAX_ATTEMPTS"),
        ({"OUTBOX_MAX_ATTEMPTS": "0"}, "OUTBOX_MAX_ATTEMPTS"),
        ({"TWILIO_API_BASE_URL": "localhost:9000"}, "TWILIO_API_BASE_URL"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"DATABASE_URL": "intake.db"}, "DATABASE_URL"),
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "1:abc"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TWILIO_QUICK_REPLY_TEMPLATES": "impact"}, "TWILIO_QUICK_REPLY_TEMPLATES"),
        ({"OUTBOX_BACKOFF_BASE_SECONDS": "-1"}, "OUTBOX_BACKOFF_BASE_SECONDS"),
    ],
)
def test_bad_values_fail_fast_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(env, env_file=None)


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TICKET_PREFIX=abc\nDIALOG_IDLE_MINUTES=30\n")
    s = load_settings({"DIALOG_IDLE_MINUTES": "45"}, env_file=str(env_file))
    assert s.ticket_prefix == "ABC"
    assert s.dialog_idle_minutes == 45


def test_template_mappings_are_parsed() -> None:
    s = load_settings({"TWILIO_NOTIFICATION_TEMPLATES": "registration=HX1, survey = HX2"}, env_file=None)
    assert s.twilio_notification_templates == {"registration": "HX1", "survey": "HX2"}


def test_secrets_do_not_appear_in_repr() -> None:
    s = load_settings(
        {
            "TWILIO_ACCOUNT_SID": "ACx",
            "TWILIO_AUTH_TOKEN": "supersecret",
            "TWILIO_WHATSAPP_FROM": "whatsapp:+1",
            "TELEGRAM_BOT_TOKEN": "1:tok",
            "TELEGRAM_WEBHOOK_SECRET": "hush",
        },
        env_file=None,
    )
    assert "supersecret" not in repr(s) and "1:tok" not in repr(s) and "hush" not in repr(s)


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    source = (Path(__file__).resolve().parents[2] / "intake" / "config.py").read_text()
    import re

    read = set(re.findall(r"env(?:\.get\(|, )\"([A-Z][A-Z0-9_]+)\"", source))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert read - documented == set()


def test_clip_keeps_extensions_and_column_sizes() -> None:
    from intake.services.tickets import clip

    assert clip(None, 10) is None
    assert clip("short.pdf", 255) == "short.pdf"
    long = "x" * 300 + ".pdf"
    assert clip(long, 255) == "x" * 251 + ".pdf" and len(clip(long, 255) or "") == 255
    assert clip("y" * 130, 120) == "y" * 120


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PUBLIC_BASE_URL": "https://support.example.com"}, "SECRET_KEY"),
        ({"PUBLIC_BASE_URL": "https://support.example.com", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DEFAULT_CALENDAR": "nope"}, "DEFAULT_CALENDAR"),
        ({"OUTBOX_BACKOFF_MAX_SECONDS": "inf"}, "OUTBOX_BACKOFF_MAX_SECONDS"),
        ({"OUTBOX_BACKOFF_BASE_SECONDS": "nan"}, "OUTBOX_BACKOFF_BASE_SECONDS"),
        ({"EMAIL_FROM": "nobody"}, "EMAIL_FROM"),
        (
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_WHATSAPP_FROM": "+14155238886"},
            "TWILIO_WHATSAPP_FROM",
        ),
    ],
)
def test_production_mistakes_fail_fast_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(env, env_file=None)


def test_a_public_deployment_with_a_real_secret_key_loads() -> None:
    s = load_settings(
        {"PUBLIC_BASE_URL": "https://support.example.com", "SECRET_KEY": "x" * 32}, env_file=None
    )
    assert s.public_base_url == "https://support.example.com"
    assert "x" * 32 not in repr(s)


def test_media_sources_default_to_twilios_hosts_and_public_addresses_only() -> None:
    from channels.whatsapp.media import DEFAULT_MEDIA_HOSTS
    from intake.wiring import whatsapp_config

    base = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}
    base["TWILIO_WHATSAPP_FROM"] = "whatsapp:+14155238886"
    config = whatsapp_config(load_settings(base, env_file=None))
    assert config.media_hosts == DEFAULT_MEDIA_HOSTS and config.media_allow_private is False
    assert "api.twilio.com" in DEFAULT_MEDIA_HOSTS
    custom = load_settings(
        {
            **base,
            "TWILIO_MEDIA_HOSTS": "api.twilio.com, .Media.Example.com",
            "TWILIO_MEDIA_ALLOW_PRIVATE": "true",
        },
        env_file=None,
    )
    assert whatsapp_config(custom).media_hosts == ("api.twilio.com", ".media.example.com")
    assert whatsapp_config(custom).media_allow_private is True
    with pytest.raises(SettingsError, match="TWILIO_MEDIA_HOSTS"):
        load_settings({**base, "TWILIO_MEDIA_HOSTS": "http://evil.example/x"}, env_file=None)


# --- issue 14: IMAP settings ---
_IMAP = {"IMAP_HOST": "imap.example.com", "IMAP_USER": "soporte@example.com", "IMAP_PASSWORD": "imap-secret"}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"IMAP_HOST": "imap.example.com"}, "IMAP_USER and IMAP_PASSWORD"),
        ({"IMAP_USER": "a", "IMAP_PASSWORD": "b"}, "IMAP_HOST"),
        ({**_IMAP, "IMAP_STARTTLS": "true"}, "IMAP_SSL and IMAP_STARTTLS are exclusive"),
        ({**_IMAP, "IMAP_SSL": "false"}, "only allowed on loopback"),
        ({**_IMAP, "IMAP_PORT": "70000"}, "IMAP_PORT"),
        ({**_IMAP, "MAIL_POLL_INTERVAL": "0"}, "MAIL_POLL_INTERVAL"),
        ({**_IMAP, "IMAP_SSL": "maybe"}, "IMAP_SSL"),
    ],
)
def test_bad_imap_settings_are_refused_by_name(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(env, env_file=None)


def test_imap_settings_build_the_poller_config_without_showing_the_password() -> None:
    from intake.wiring import imap_config

    s = load_settings(_IMAP, env_file=None)
    config = imap_config(s)
    assert config is not None and (config.security, config.port, config.folder) == ("ssl", 993, "INBOX")
    assert "imap-secret" not in repr(s) and "imap-secret" not in repr(config)
    starttls = imap_config(load_settings({**_IMAP, "IMAP_SSL": "false", "IMAP_STARTTLS": "1"}, env_file=None))
    assert starttls is not None and (starttls.security, starttls.port) == ("starttls", 143)
    local = {**_IMAP, "IMAP_HOST": "127.0.0.1", "IMAP_SSL": "false", "IMAP_PORT": "1143"}
    plain = imap_config(load_settings(local, env_file=None))
    assert plain is not None and (plain.security, plain.port) == ("plain", 1143)
    assert imap_config(load_settings({}, env_file=None)) is None


@pytest.mark.parametrize("raw", ["-1", "20", "high"])
def test_a_worker_nice_outside_0_to_19_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="WORKER_NICE"):
        load_settings({"WORKER_NICE": raw}, env_file=None)


def test_the_worker_yields_the_cpu_by_default_and_can_keep_it() -> None:
    assert load_settings({}, env_file=None).worker_nice == 10
    assert load_settings({"WORKER_NICE": "0"}, env_file=None).worker_nice == 0
    assert load_settings({"WORKER_NICE": "19"}, env_file=None).worker_nice == 19
