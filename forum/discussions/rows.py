"""The rows of the thread lists (a group's threads, the home page's latest discussions),
written in Python as `forum.templating.person` is.

A group page lists 30 threads. Written by Jinja, each row cost some 60 µs (two translations
through the template's gettext, two names, a date, two links, a macro for the badges and one
for the unread marker): a quarter of the page. Here the page's words are translated once,
each row is one f-string of escaped values, and the markup is the one the templates wrote.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from forum.discussions import bp
from forum.templating import path_for, person, request_translations, when


def _words() -> dict[str, str]:
    """The lists' words, translated once for the page (the translations are the site's own
    text, like a template's: only the values put into them are escaped)."""
    tr = request_translations()
    return {
        "by": tr.ugettext("by %(name)s"),
        "pinned": tr.ugettext("Pinned"),
        "locked": tr.ugettext("Locked"),
        "hidden": tr.ugettext("Hidden"),
        "new": tr.ugettext("New"),
        "last": tr.ugettext("last message by %(name)s, %(when)s"),
    }


def _unread_marker(row, words: dict) -> str:
    """A member's marker on a thread in a list: "New" for a thread never opened, else how
    many posts are unread, linking to the first of them on its page. Nothing for a thread
    read to its end."""
    if row.unread_count is None:
        return f'<span class="tag tag-new">{escape(words["new"])}</span>'
    if not (row.unread_count and row.first_unread_id):
        return ""
    text = request_translations().ungettext(
        "%(num)s unread message", "%(num)s unread messages", row.unread_count
    ) % {"num": row.unread_count}
    href = (
        f"{path_for('discussions.show_thread', thread_id=row.thread.id)}"
        f"?page={row.first_unread_page}#post-{row.first_unread_id}"
    )
    return f'<a class="tag tag-new" href="{escape(href)}">{escape(text)}</a>'


@bp.app_template_global()
def thread_rows(rows) -> Markup:
    """The <tr> of each thread of a group page (discussions.activity.ThreadRow)."""
    words = _words()
    replies = request_translations().ungettext
    out = []
    for row in rows:
        t = row.thread
        states = [
            words[state]
            for state, on in (
                ("pinned", t.is_pinned),
                ("locked", t.is_locked),
                ("hidden", t.is_hidden),
            )
            if on
        ]
        badges = f' <span class="badges">{escape(" · ".join(states))}</span>' if states else ""
        marker = f" {_unread_marker(row, words)}" if row.unread else ""
        author = escape(words["by"]) % {"name": person(t.author)}
        last = (
            f'<br><span class="muted">{person(t.last_poster, avatar=False)}</span>'
            if t.last_poster
            else ""
        )
        word = replies("reply", "replies", t.reply_count)
        unread = ' class="unread"' if row.unread else ""
        out.append(
            f"<tr{unread}>"
            f'<td><a href="{path_for("discussions.show_thread", thread_id=t.id)}">'
            f"{escape(t.title)}</a>{badges}{marker}"
            f'<br><span class="muted">{author}</span></td>'
            f'<td class="num">{t.reply_count}'
            f'<span class="narrow-only"> {escape(word)}</span></td>'
            f"<td>{when(t.last_posted_at)}{last}</td></tr>\n"
        )
    return Markup("".join(out))  # noqa: S704 - every value above is escaped


@bp.app_template_global()
def activity_rows(rows) -> Markup:
    """The <li> of each thread of the home page's latest discussions."""
    words = _words()
    out = []
    for row in rows:
        t = row.thread
        marker = f" {_unread_marker(row, words)}" if row.unread else ""
        if t.last_poster:
            said = escape(words["last"]) % {
                "name": person(t.last_poster, avatar=False),
                "when": when(t.last_posted_at),
            }
        else:
            said = when(t.last_posted_at)
        group = path_for("groups.show_group", slug=t.group.slug)
        thread = path_for("discussions.show_thread", thread_id=t.id)
        unread = ' class="unread"' if row.unread else ""
        out.append(
            f"<li{unread}>"
            f'<a class="activity-title" href="{thread}">'
            f"{escape(t.title)}</a>{marker}"
            f'<br><span class="muted"><a href="{escape(group)}">{escape(t.group.name)}</a>'
            f" · {said}</span></li>\n"
        )
    return Markup("".join(out))  # noqa: S704 - every value above is escaped
