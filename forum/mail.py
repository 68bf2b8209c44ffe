"""The outbox: mails are rows written in the transaction that caused them, sent after commit.

`queue_mail()` renders the text and HTML parts in the recipient's language and adds a row;
`send_due()` delivers what is due, one row at a time, each under a row lock
(`FOR UPDATE SKIP LOCKED` on PostgreSQL) so that two senders never send the same mail, and
reschedules with exponential backoff when the server cannot be reached.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import TimestampMixin, utcnow
from forum.extensions import db, mail

log = logging.getLogger(__name__)

HEADER_MAX = 200


class OutboxMail(TimestampMixin, db.Model):
    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(HEADER_MAX))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    template: Mapped[str] = mapped_column(String(60))  # for statistics and tests
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    failed_at: Mapped[datetime | None]  # gave up after OUTBOX_MAX_ATTEMPTS

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OutboxAttachment.id"
    )

    @property
    def is_pending(self) -> bool:
        return self.sent_at is None and self.failed_at is None


class OutboxAttachment(db.Model):
    """A file sent with an outbox mail (a meeting's .ics invitation, say); its own table so
    that the outbox's rows stay small for the sender's queries."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_mails.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class Attachment:
    """What a feature gives `queue_mail` to attach: a name, a MIME type, the bytes."""

    filename: str
    content_type: str
    data: bytes

    MAX_BYTES = 1024 * 1024  # a mail is no place for big files: link them instead


def _one_line(text: str) -> str:
    """Header values never carry a line break (Flask-Mail would raise BadHeaderError)."""
    return " ".join(str(text).split())[:HEADER_MAX]


def site_subject(subject: str) -> str:
    """The subject as sent: "[<site name>] <subject>", on one line.

    The site's name comes first, so that a subject never starts with words a member chose
    (a display name, a thread title) that could pass for another sender.
    """
    prefix = f"[{_one_line(current_app.config['SITE_NAME'])}] "
    text = _one_line(subject)
    if not text.startswith(prefix):
        text = prefix + text
    return text[:HEADER_MAX]


def queue_mail(
    recipient: str,
    template: str,
    *,
    subject: str,
    locale: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[Attachment] | None = None,
    **context,
) -> OutboxMail:
    """Render `templates/email/<template>.txt|.html` in `locale` and add it to the outbox.

    `subject` is a callable-free string already translated by the caller, or a lazy string
    (it is rendered inside the recipient's locale here).
    """
    lang = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        ctx = {"base_url": current_app.config["BASE_URL"], **context}
        text = render_template(f"email/{template}.txt", **ctx)
        try:
            html = render_template(f"email/{template}.html", **ctx)
        except Exception as exc:  # noqa: BLE001 - the HTML part is optional
            if type(exc).__name__ != "TemplateNotFound":
                raise
            html = None
        subject_str = site_subject(str(subject))
    row = OutboxMail(
        recipient=_one_line(recipient),
        subject=subject_str,
        body_text=text,
        body_html=html,
        headers={k: _one_line(v) for k, v in (headers or {}).items()} or None,
        template=template,
    )
    for attached in attachments or ():
        if len(attached.data) > Attachment.MAX_BYTES:
            raise ValueError(f"attachment {attached.filename!r} is too large for a mail")
        row.attachments.append(
            OutboxAttachment(
                filename=_one_line(attached.filename).replace("/", "_")[:200],
                content_type=_one_line(attached.content_type)[:100],
                data=attached.data,
            )
        )
    db.session.add(row)
    db.session.flush()
    g.outbox_dirty = True
    return row


def backoff(attempts: int) -> timedelta:
    """Delay before the next try: 1, 2, 4 … minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _message(row: OutboxMail) -> Message:
    msg = Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.body_text,
        html=row.body_html,
        extra_headers=dict(row.headers or {}),
    )
    for attached in row.attachments:
        msg.attach(attached.filename, attached.content_type, attached.data)
    return msg


def _deliver_to_log(row: OutboxMail) -> None:
    names = ", ".join(a.filename for a in row.attachments)
    log.info(
        "mail to %s\nSubject: %s%s\n\n%s",
        row.recipient,
        row.subject,
        f"\nAttached: {names}" if names else "",
        row.body_text.rstrip(),
    )


def send_due(now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Deliver due mails once; commit per mail. Returns counts of sent, retried and failed."""
    now = now or utcnow()
    limit = limit or current_app.config["OUTBOX_BATCH"]
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    to_log = not current_app.config.get("MAIL_SERVER")
    counts = {"sent": 0, "retried": 0, "failed": 0}
    if to_log and current_app.config["ENV"] == "production":
        # Reset links must not end up in production logs: keep the mail until a server is set.
        log.warning("FORUM_MAIL_SERVER is not set: mails stay in the outbox")
        return counts
    connection = None
    seen: set[int] = set()
    try:
        for _ in range(limit):
            query = (
                select(OutboxMail)
                .where(
                    OutboxMail.sent_at.is_(None),
                    OutboxMail.failed_at.is_(None),
                    OutboxMail.due_at <= now,
                )
                .order_by(OutboxMail.due_at, OutboxMail.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if seen:
                query = query.where(OutboxMail.id.not_in(seen))
            row = db.session.scalars(query).first()
            if row is None:
                break
            seen.add(row.id)
            try:
                if to_log:
                    _deliver_to_log(row)
                else:
                    if connection is None:
                        connection = mail.connect().__enter__()
                    connection.send(_message(row))
            except (smtplib.SMTPException, OSError) as exc:
                connection = _close(connection)
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if row.attempts >= max_attempts:
                    row.failed_at = utcnow()
                    counts["failed"] += 1
                    log.error("mail %s abandoned after %s attempts", row.id, row.attempts)
                else:
                    row.due_at = utcnow() + backoff(row.attempts)
                    counts["retried"] += 1
                    log.warning("mail %s not sent (%s); next try at %s", row.id, exc, row.due_at)
                server_down = isinstance(
                    exc, OSError | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError
                )
                db.session.commit()
                if server_down:
                    break  # the rest stay due; the next run tries them
                continue
            else:
                row.attempts += 1
                row.sent_at = utcnow()
                row.last_error = None
                counts["sent"] += 1
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        _close(connection)
    return counts


def _close(connection):
    if connection is not None:
        try:
            connection.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - the server may already be gone
            log.debug("closing the SMTP connection failed", exc_info=True)
    return None


def register_inline_sender(app) -> None:
    """With OUTBOX_SEND_INLINE, deliver what a request queued once it has committed."""

    @app.after_request
    def _send_inline(response):
        if app.config["OUTBOX_SEND_INLINE"] and g.pop("outbox_dirty", False):
            try:
                db.session.rollback()  # anything the view did not commit must not be sent
                send_due()
            except Exception:  # noqa: BLE001 - a mail problem must not break the page
                log.exception("inline outbox delivery failed; `flask outbox send` will retry")
        return response
