"""Command-line interface: each command calls services, then commits."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask import Flask
from sqlalchemy import select

from forum.db import utcnow
from forum.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(grant_role)
    app.cli.add_command(outbox)
    app.cli.add_command(search)
    app.cli.add_command(reminders)
    app.cli.add_command(purge)
    app.cli.add_command(contactlog)
    app.cli.add_command(documents)


@click.command("demo")
def demo() -> None:
    """Load the demo data (idempotent)."""
    from forum.demo import DEMO_PASSWORD, load_demo

    summary = load_demo()
    db.session.commit()
    click.echo(f"Demo data loaded. Accounts (password: {DEMO_PASSWORD}):")
    for email, roles in summary:
        click.echo(f"  {email:<24} {roles}")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", "display_name", default="Administration", show_default=True)
def create_admin(email: str, display_name: str) -> None:
    """Make EMAIL a site admin, creating the account if needed (asks for a password)."""
    from forum.accounts import services as accounts
    from forum.accounts.passwords import is_common_password
    from forum.forms import PASSWORD_MAX, PASSWORD_MIN

    user = accounts.find_by_email(email)
    if user is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX or is_common_password(password):
            raise click.ClickException(
                f"The password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters "
                "and not be a common one."
            )
        user = accounts.create_user(email, display_name, password, verified=True, admin=True)
        click.echo(f"Created the site admin {user.email}.")
    else:
        user.is_admin = True
        click.echo(f"{user.email} is now a site admin.")
    db.session.commit()


@click.command("grant-role")
@click.argument("email")
@click.argument("group_slug")
@click.argument("role", type=click.Choice(["member", "keeper", "coordinator"]))
@click.option("--revoke", is_flag=True, help="Take the role back (the member leaves the group).")
def grant_role(email: str, group_slug: str, role: str, revoke: bool) -> None:
    """Give EMAIL the ROLE in GROUP_SLUG, or take it back with --revoke."""
    from forum.accounts import services as accounts
    from forum.groups import services as groups
    from forum.groups.models import Group, Role

    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    group = db.session.scalar(select(Group).where(Group.slug == group_slug))
    if group is None:
        raise click.ClickException(f"No group has the slug {group_slug}.")
    if revoke:
        current = groups.membership(user, group)
        if current is None or current.role != role:
            raise click.ClickException(f"{email} does not hold the role {role} in {group_slug}.")
        # Taking back a role steps down one rank; taking back "member" ends the membership.
        lower = Role(role).rank - 1
        groups.set_role(user, group, list(Role)[lower] if lower >= 0 else None)
        click.echo(f"{email}: role {role} taken back in {group_slug}.")
    else:
        groups.set_role(user, group, Role(role))
        click.echo(f"{email} is now {role} in {group_slug}.")
    db.session.commit()


@click.group("outbox")
def outbox() -> None:
    """The e-mail outbox."""


@outbox.command("send")
def outbox_send() -> None:
    """Send the mails that are due, once; failures are retried on a later run."""
    from forum.mail import send_due

    counts = send_due()
    click.echo("sent {sent}, to retry {retried}, abandoned {failed}".format(**counts))


# --- Reminders ---------------------------------------------------------------------------
# `flask reminders` runs on a timer (cron or a systemd timer, e.g. every 10 minutes). Each job
# decides itself what is due at `now`, does it once and says what it did: running the command
# again, or two at once, sends nothing twice. Later jobs (meeting reminders, the contact-log
# digest) are added to REMINDER_JOBS.


def _daily_digests(now: datetime) -> str:
    from forum.notifications.services import send_digests

    return send_digests(now).summary()


def _pledge_checks(now: datetime) -> str:
    from forum.projects.checks import send_pledge_checks

    return send_pledge_checks(now)


def _meeting_reminders(now: datetime) -> str:
    from forum.meetings.reminders import send_meeting_reminders

    return send_meeting_reminders(now)


def _decisions_due(now: datetime) -> str:
    from forum.meetings.reminders import send_decision_reminders

    return send_decision_reminders(now)


def _contactlog_digest(now: datetime) -> str:
    from forum.contactlog.digest import send_contactlog_digests

    return send_contactlog_digests(now)


REMINDER_JOBS: list[tuple[str, Callable[[datetime], str]]] = [
    ("daily digests", _daily_digests),
    ("pledge checks", _pledge_checks),
    ("meeting reminders", _meeting_reminders),
    ("decisions due", _decisions_due),
    ("contact-log digest", _contactlog_digest),
]


def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use ISO 8601, e.g. 2026-03-02T07:00+01:00") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone offset, e.g. 2026-03-02T07:00+01:00")
    return moment.astimezone(UTC)


@click.command("reminders")
@click.option(
    "--now",
    "now_text",
    metavar="ISO_TIME",
    help="Act as if it were this moment (ISO 8601 with an offset), to check or catch up.",
)
def reminders(now_text: str | None) -> None:
    """Run every reminder that is due now (idempotent): daily forum digests, pledge checks, …"""
    now = _parse_now(now_text)
    for name, job in REMINDER_JOBS:
        click.echo(f"{name}: {job(now)}")
    db.session.commit()  # jobs that work in one unit leave it to here


@click.group("search")
def search() -> None:
    """The full-text search index."""


@search.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the visible posts."""
    from forum.search.services import rebuild_index

    count = rebuild_index(db.session)
    db.session.commit()
    click.echo(f"{count} posts indexed.")


@click.command("purge")
@click.option(
    "--now",
    "now_text",
    metavar="ISO_TIME",
    help="Act as if it were this moment (ISO 8601 with an offset).",
)
def purge(now_text: str | None) -> None:
    """Apply the retention rules (idempotent): old drafts, read notifications, mails, sign-ins."""
    from forum.events import purging

    now = _parse_now(now_text)
    for _receiver, removed in purging.send(None, now=now):
        for what, count in (removed or {}).items():
            click.echo(f"{what}: {count} removed")
    db.session.commit()


@click.group("contactlog")
def contactlog() -> None:
    """The confidential contact log."""


@contactlog.command("rotate-key")
def contactlog_rotate_key() -> None:
    """Re-encrypt every contact-log note under the newest key (FORUM_CONTACTLOG_KEYS)."""
    from forum.contactlog.rotation import rotate_all

    count = rotate_all()
    db.session.commit()
    click.echo(f"{count} values re-encrypted under the newest key.")


@click.group("documents")
def documents() -> None:
    """The docuthèque."""


@documents.command("read")
def documents_read() -> None:
    """Read the text of the document versions still waiting (after a crash, or when
    DOCUMENTS_READ_INLINE is off), each in a limited child process."""
    from forum.documents.services import extract_due

    count = extract_due()
    db.session.commit()
    click.echo(f"{count} version(s) read.")
