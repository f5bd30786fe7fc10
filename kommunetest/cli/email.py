"""`kommunetest email`: the e-mail channel (send, outbox, poll, replies, review, classify)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kommunetest.errors import NotFoundError, UsageError


@click.group("email")
def command() -> None:
    """E-mail channel: send questions, poll replies, review grades, classify one message."""


@command.command("classify")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: kind, reasons, confidence, bounce_recipients."
)
@click.option("--question", help="The probe's question text, used to judge whether the reply answers it.")
def classify_command(file: Path, as_json: bool, question: str | None) -> None:
    """Classify one reply (.eml): auto_reply, receipt, interim, substantive, referral or bounce."""
    from kommunetest.channels.email.classify import bounce_recipients, classify
    from kommunetest.channels.email.parse import parse_mail

    if not file.exists():
        raise NotFoundError(f"{file}: no such file", hint="give the path of a saved message (.eml)")
    if file.is_dir():
        raise UsageError(f"{file}: is a directory", hint="give the path of one saved message (.eml)")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot be read ({exc.strerror or exc})") from exc
    mail = parse_mail(raw)
    result = classify(mail, question=question)
    if as_json:
        out = result.to_dict()
        out["bounce_recipients"] = (
            [r.to_dict() for r in bounce_recipients(mail)] if result.kind == "bounce" else []
        )
        out["subject"] = mail.subject
        out["from"] = mail.from_addr
        out["quarantine_reason"] = mail.quarantine_reason
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: {result.kind} ({result.confidence:.2f}): " + "; ".join(result.reasons))


# The sending side (`email send`, `email outbox`) lives in its own module.
from kommunetest.cli.email_send import register as _register_sending  # noqa: E402

_register_sending(command)

# The receiving side (`email poll`, `replies`, `unmatched`, `review`) lives in its own module.
from kommunetest.cli.email_inbox import register as _register_inbox  # noqa: E402

_register_inbox(command)
