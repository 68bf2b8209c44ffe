"""The rows of the thread lists (a group's threads, the home page's latest discussions) and
the posts of a thread page, written in Python as `forum.templating.person` is.

A group page lists 30 threads. Written by Jinja, each row cost some 60 µs (two translations
through the template's gettext, two names, a date, two links, a macro for the badges and one
for the unread marker): a quarter of the page. Here the page's words are translated once,
each row is one f-string of escaped values, and the markup is the one the templates wrote.

A thread page's 20 posts, included one by one from a template, were some 40 % of its time:
each include built a new context from the page's, and each post asked for a dozen values
through Jinja's lookups. The rarer parts (a hidden post's reason, documents' cards, a
moderator's forms) stay in `discussions/_post_parts.html`, called only for the posts that
show them.
"""

from __future__ import annotations

from flask import url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
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


def _post_words() -> dict[str, Markup]:
    """The words of a thread page's posts, translated and escaped once for the page."""
    tr = request_translations()
    words = {
        "edited": tr.ugettext("edited"),
        "quote": tr.ugettext("Quote"),
        "edit": tr.ugettext("Edit"),
        "delete": tr.ugettext("Delete"),
        "report": tr.ugettext("Report"),
        "reactions": tr.ugettext("Reactions"),
        "thanks": tr.ugettext("Thanks"),
        "by_moderation": tr.ugettext("This message was deleted by the moderation."),
        "by_author": tr.ugettext("This message was deleted by its author."),
    }
    return {key: escape(text) for key, text in words.items()}


def _reaction_button(kind: str, text: str, count) -> str:
    pressed = "true" if count and count.mine else "false"
    number = f' <span class="count">{count.count}</span>' if count else ""
    return (
        f'<button type="submit" name="kind" value="{kind}" class="reaction"'
        f' aria-pressed="{pressed}">{text}{number}</button>'
    )


def _reactions(counted: dict, may_react: bool, action: str, token, words) -> str:
    """A post's reactions: their counts for everyone; for a member who may react, one small
    form whose two buttons add or take back theirs (aria-pressed says which are theirs).
    The kinds are written out in the order of reactions.KINDS."""
    thanks, plus_one = counted.get("thanks"), counted.get("plus_one")
    label = words["reactions"]
    if may_react:
        return (
            f'\n  <form method="post" action="{action}/reactions" class="reactions">'
            f'<input type="hidden" name="csrf_token" value="{escape(token)}">'
            f'<div role="group" aria-label="{label}">'
            f"{_reaction_button('thanks', words['thanks'], thanks)}"
            f"{_reaction_button('plus_one', '+1', plus_one)}</div></form>"
        )
    if not counted:
        return ""
    shown = []
    if thanks:
        shown.append(
            f'<span class="reaction">{words["thanks"]}'
            f' <span class="count">{thanks.count}</span></span>'
        )
    if plus_one:
        shown.append(
            f'<span class="reaction">+1 <span class="count">{plus_one.count}</span></span>'
        )
    return f'\n  <div class="reactions" role="group" aria-label="{label}">{"".join(shown)}</div>'


@bp.app_template_global()
@pass_context
def post_articles(context, thread, listing, tools, reactions, cards, moderator) -> Markup:
    """The <article> of each post of a thread page (`listing.items`): author, date, body,
    reactions, and the links the viewer may use (`tools`, from services.post_tools)."""
    words = _post_words()
    parts = None  # discussions/_post_parts.html, built on the first post that needs it

    def part(name: str, *args) -> str:
        nonlocal parts
        if parts is None:
            template = context.environment.get_template("discussions/_post_parts.html")
            parts = template.make_module(context.get_all())
        return str(getattr(parts, name)(*args))

    token = generate_csrf() if tools else None  # members' forms only: a visitor has no session
    # Each post's "Quote" link: the thread's last page, at the reply form.
    quote_base = escape(url_for("discussions.show_thread", thread_id=thread.id, page=listing.pages))
    out = []
    for post in listing.items:
        pid, author = post.id, post.author
        permalink = path_for("discussions.permalink", post_id=pid)
        handle = (
            "" if author.is_deleted else f' <span class="muted">@{escape(author.username)}</span>'
        )
        edited = (
            f' · <a href="{path_for("discussions.history", post_id=pid)}" class="muted">'
            f"{words['edited']}</a>"
            if post.edit_count
            else ""
        )
        html = [
            f'<article class="post{" post-hidden" if post.is_hidden else ""}" id="post-{pid}"'
            f' aria-labelledby="post-{pid}-meta">\n'
            f'  <header class="post-meta" id="post-{pid}-meta">'
            f'<strong class="author">{person(author, size=32)}</strong>{handle}'
            f' · <a href="{permalink}" class="muted">{when(post.created_at)}</a>{edited}'
            f' <span class="muted post-number">#{post.number}</span></header>'
        ]
        can_do = tools.get(pid)
        if post.is_deleted:
            removed = words["by_moderation" if post.deleted_by_moderation else "by_author"]
            html.append(f'\n  <p class="post-removed">{removed}</p>')
        elif post.is_hidden:
            html.append(part("hidden", post, moderator))
        else:
            html.append(f'\n  <div class="post-body">{post.body_html}</div>')  # sanitized
            if cards and cards.get(pid):
                html.append(part("document_cards", post, cards))
            html.append(
                _reactions(
                    reactions.get(pid, {}),
                    bool(can_do and can_do.react),
                    permalink,
                    token,
                    words,
                )
            )
        if can_do:
            links = [f'<a href="{quote_base}&amp;quote={pid}#reply">{words["quote"]}</a>']
            if not can_do.quote:
                links = []
            for allowed, endpoint, word in (
                (can_do.edit, "discussions.edit", "edit"),
                (can_do.delete, "discussions.delete", "delete"),
                (can_do.flag, "discussions.flag", "report"),
            ):
                if allowed:
                    links.append(f'<a href="{path_for(endpoint, post_id=pid)}">{words[word]}</a>')
            if moderator:
                links.append(part("moderation", post))
            html.append(f'\n  <footer class="post-actions">{" ".join(links)}</footer>')
        html.append("\n</article>\n")
        out.append("".join(html))
    return Markup("".join(out))  # noqa: S704 - every value above is escaped or sanitized
