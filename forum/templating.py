"""Template globals and filters: permissions, notifications, dates in Europe/Paris, the locale."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import DateTimeFormat, parse_pattern
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_timezone,
    get_translations,
)
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from forum.memo import request_memo

# Past this age a date shows as the day it was (in Europe/Paris), no longer as "3 days ago".
RELATIVE_DAYS = 7


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last, `around` on each side of the current
    one, and None where a gap of more than one page is left out. It does not grow with the
    number of pages (a group of 2,500 threads has 84)."""
    shown = sorted({1, pages, *range(max(page - around, 1), min(page + around, pages) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] == 2:
            numbers.append(number - 1)  # a gap of one page: show the page, not "…"
        elif numbers and number - numbers[-1] > 2:
            numbers.append(None)
        numbers.append(number)
    return numbers


class _Fields(dict):
    """The fields of a Babel date pattern (`parse_pattern(...).format % fields`) that the
    site's dates use, written directly; any other through Babel's DateTimeFormat. Babel's
    own lookup of each field cost a date 5 to 7 µs, and a group page writes 30."""

    def __init__(self, value: datetime, locale) -> None:
        super().__init__()
        self.value, self.locale = value, locale

    def __missing__(self, field: str) -> str:
        value = self.value
        if field == "d":
            return str(value.day)
        if field == "y":
            return str(value.year)
        if field == "MMMM":
            return self.locale.months["format"]["wide"][value.month]
        if field == "HH":
            return f"{value.hour:02d}"
        if field == "mm":
            return f"{value.minute:02d}"
        return DateTimeFormat(value, self.locale)[field]


class _Dates:
    """What `when()` needs for one locale, looked up once per request: a thread page shows
    20 dates, and Flask-Babel's format_datetime costs about 0.05 ms each."""

    __slots__ = ("now", "tz", "locale", "glue", "date", "time", "texts", "_gettext")

    def __init__(self) -> None:
        self.now = datetime.now(UTC)  # one "now" for the whole page
        self.tz = ZoneInfo(str(get_timezone()))  # Europe/Paris; zoneinfo is faster than pytz
        self.locale = get_locale()
        # "{1}, {0}": the long date, then the short time; quotes mark literal words.
        self.glue = self.locale.datetime_formats["long"].replace("'", "")
        self.date = parse_pattern(self.locale.date_formats["long"].pattern)
        self.time = parse_pattern(self.locale.time_formats["short"].pattern)
        # Formatted pieces, by day, by minute and by relative wording: the same for every
        # request in this language and time zone (only "now" is the page's own).
        self.texts: dict[object, str] = app_texts(f"dates {self.locale} {self.tz.key}")
        translations = get_translations()
        self._gettext = (translations.gettext, translations.ngettext)

    def day(self, local: datetime) -> str:
        key = local.date()
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = self.date.format % _Fields(local, self.locale)
        return text

    def minute(self, utc: datetime) -> tuple[str, Markup, Markup]:
        """What `when` writes of a UTC minute, worked out once per page: the ISO text up to
        the minute, and, escaped, the moment and the day in Europe/Paris."""
        key = (utc.year, utc.month, utc.day, utc.hour, utc.minute)
        found = self.texts.get(key)
        if found is None:
            local = utc.astimezone(self.tz)
            iso = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}"
            found = self.texts[key] = (iso, escape(self.moment(local)), escape(self.day(local)))
        return found

    def moment(self, local: datetime) -> str:
        """The long date and the time: "1 décembre 2026, 10:48"."""
        key = (local.hour, local.minute)
        time = self.texts.get(key)
        if time is None:
            time = self.texts[key] = self.time.format % _Fields(local, self.locale)
        return self.glue.replace("{1}", self.day(local)).replace("{0}", time)

    def relative(self, seconds: float) -> str | None:
        """ "3 hours ago" in the page's language; None past RELATIVE_DAYS."""
        if seconds < 60:
            unit, num = "now", 0
        elif seconds < 3600:
            unit, num = "minutes", int(seconds // 60)
        elif seconds < 86400:
            unit, num = "hours", int(seconds // 3600)
        elif seconds < RELATIVE_DAYS * 86400:
            unit, num = "days", int(seconds // 86400)
        else:
            return None
        key = (unit, num)
        text = self.texts.get(key)
        if text is None:
            gettext, ngettext = self._gettext
            if unit == "now":
                text = gettext("just now")
            elif unit == "minutes":
                text = ngettext("%(num)s minute ago", "%(num)s minutes ago", num)
            elif unit == "hours":
                text = ngettext("%(num)s hour ago", "%(num)s hours ago", num)
            else:
                text = ngettext("%(num)s day ago", "%(num)s days ago", num)
            text = self.texts[key] = text % {"num": num}
        return text

    def calendar_day(self, value: date, fmt: str) -> str:
        """The `date` filter's text for a day ("1 déc. 2026"), formatted once per page."""
        key = ("day", fmt, value)
        text = self.texts.get(key)
        if text is None:
            if fmt in ("short", "medium", "long", "full"):
                pattern = self.locale.date_formats[fmt]
            else:
                pattern = parse_pattern(fmt)
            text = self.texts[key] = pattern.apply(value, self.locale)
        return text


def _request_state() -> tuple[dict, object]:
    """This request's `g` (its dictionary) and locale, for the helpers a page calls a
    hundred times: `g` resolved once, and the locale Flask-Babel chose for the request (or
    forces, for a mail in another language) read where it keeps it, without its own four
    lookups of `g` (get_locale() does the choosing the first time)."""
    state = g._get_current_object().__dict__
    babel = state.get("_flask_babel")
    locale = getattr(babel, "babel_locale", None)
    if locale is None:
        locale = get_locale()
    return state, locale


def _dates() -> _Dates:
    """This request's date formatting for its locale."""
    state, locale = _request_state()
    cache = state.setdefault("_when", {})
    dates = cache.get(locale)
    if dates is None:
        dates = cache[locale] = _Dates()
    return dates


def date_filter(value: date | datetime | None, fmt: str = "medium") -> str:
    """A day as Babel's format_date says it; a datetime's day in Europe/Paris. A household
    page shows 20 contacts with their days: each is formatted once per page."""
    if not value:
        return ""
    if isinstance(value, datetime):
        return format_date(value, fmt)  # Flask-Babel moves it to Europe/Paris first
    return _dates().calendar_day(value, fmt)


def when(value: datetime | None) -> Markup:
    """A date as people say it, "il y a 3 heures", in a <time> element that gives the exact
    moment to machines (UTC, ISO 8601) and to people (the title, in Europe/Paris). Older than
    RELATIVE_DAYS, the day itself (in Europe/Paris): "12 mars 2026"."""
    if value is None:
        return Markup("")
    if value.tzinfo is not UTC:
        # Stored datetimes are UTC (naive ones too); anything else is moved there.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    dates = _dates()
    minute = dates.minute(value)
    relative = dates.relative((dates.now - value).total_seconds())
    text = escape(relative) if relative is not None else minute[2]
    # Every part is escaped or our own digits; Markup.format would cost more than the rest.
    return Markup(  # noqa: S704
        f'<time datetime="{minute[0]}:{value.second:02d}Z" title="{minute[1]}">{text}</time>'
    )


# Values that url_for writes as they are (no quoting needed): ids, @handles, page numbers.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")
_INT_MARK = 2147483647  # the largest id: a number the shape of any other


def _mark(position: int, value: int | str) -> int | str:
    """A stand-in for the value at `position`, found once in the URL url_for builds."""
    if type(value) is int:
        return _INT_MARK - position
    return f"zz-url-shape-{position}-zz"


def _is_plain(value) -> bool:
    if type(value) is int:
        return value >= 0
    return isinstance(value, str) and _PLAIN.fullmatch(value) is not None


SCRIPT_ROOTS_KEPT = 8


def _app_urls() -> dict:
    """URLs that stay the same for the app's life, for this request's script root (the
    prefix a proxy may mount the site under): the shapes of `path_for` and the pages and
    static files that `url_for` names without values. Bounded by the app's endpoints.
    Looked up once per request (a page asks some 130 times)."""
    memo = request_memo("forum_urls")
    urls = memo.get("urls")
    if urls is None:
        caches = current_app.extensions.setdefault("forum.urls", {})
        root = request.script_root
        urls = caches.get(root)
        if urls is None:
            urls = {}
            if len(caches) < SCRIPT_ROOTS_KEPT:  # a proxy's prefix or two; past that, per request
                caches[root] = urls
        memo["urls"] = urls
    return urls


# Texts kept per app, mount point and kind, for any request: past this many, they start again.
APP_TEXTS_KEPT = 20_000


def app_texts(kind: str) -> dict:
    """Texts that are the same for every request of the app under this script root (a
    member's name with its links; a minute's date texts in one language): kept across
    requests, so that a page shown again writes its 60 names and 30 dates without working
    them out (at 1,000,000 posts, a group page's are nearly all different: a tenth of the
    page). A new, unkept dictionary outside a request, or past SCRIPT_ROOTS_KEPT roots."""
    if not has_request_context():
        return {}
    memo = request_memo("forum_app_texts")
    texts = memo.get(kind)
    if texts is None:
        kept = current_app.extensions.setdefault("forum.texts", {})
        key = (kind, request.script_root)
        texts = kept.get(key)
        if texts is None or len(texts) >= APP_TEXTS_KEPT:
            texts = {}
            if key in kept or len(kept) < SCRIPT_ROOTS_KEPT * 4:
                kept[key] = texts
        memo[kind] = texts
    return texts


def path_for(endpoint: str, **values: int | str) -> str:
    """url_for's path for a link a page repeats (each post's permalink, each author's
    profile, each page of a list): the URL's shape is built once per app, endpoint and
    names of values, then filled in; the same text as url_for(endpoint, **values). Values
    url_for would quote or leave out (None, True), and `_external`, go to url_for. A thread
    page writes some 120 links, and url_for costs about 25 µs each."""
    if len(values) == 1:  # most links: one id or handle
        ((name, value),) = values.items()
        if not (_is_plain(value) and has_request_context()):
            return url_for(endpoint, **values)
        key = (endpoint, name, type(value) is int)
    else:
        if not (all(map(_is_plain, values.values())) and has_request_context()):
            return url_for(endpoint, **values)
        key = (endpoint, *(x for n, v in values.items() for x in (n, type(v) is int)))
    shapes = _app_urls()
    shape = shapes.get(key)
    if shape is None:
        shape = shapes[key] = _shape(endpoint, values)
    if shape is _NO_SHAPE:
        return url_for(endpoint, **values)
    filled, tail = shape
    return "".join([f"{piece}{values[name]}" for piece, name in filled]) + tail


_NO_SHAPE = ((), "")  # a sentinel: compared by identity


def _shape(endpoint: str, values: dict):
    """The URL url_for builds with a mark in place of each value, cut at the marks: the
    pieces before each value, and what follows the last. _NO_SHAPE when a value is checked
    or changed by its converter (`<any(lock, unlock):action>`)."""
    marked = {name: _mark(i, value) for i, (name, value) in enumerate(values.items())}
    try:
        url = url_for(endpoint, **marked)
    except ValueError:
        return _NO_SHAPE
    marks = {name: str(mark) for name, mark in marked.items()}
    if not all(url.count(mark) == 1 for mark in marks.values()):
        return _NO_SHAPE
    pieces, rest = [], url
    for name in sorted(marks, key=lambda name: url.index(marks[name])):  # in the URL's order
        before, rest = rest.split(marks[name], 1)
        pieces.append((before, name))
    return (tuple(pieces), rest)


def template_url_for(endpoint: str, **values) -> str:
    """Templates' url_for. The links every page carries (the header's, the style sheet's)
    are built once per app, not per page: a page without values always has the same path,
    and so has a static file. Links with values are filled into their shape (`path_for`).
    A blueprint's relative endpoint, and anything outside a request, go to url_for."""
    if endpoint.startswith(".") or not has_request_context():
        return url_for(endpoint, **values)
    if not values:
        key = endpoint
    elif endpoint == "static" and len(values) == 1 and type(values.get("filename")) is str:
        key = ("static", values["filename"])
    else:
        return path_for(endpoint, **values)
    urls = _app_urls()
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, **values)
    return url


def person(user, avatar: bool = True, size: int = 24) -> Markup:
    """A member's name as it appears beside what they wrote: their avatar (decorative: the
    name is beside it) and their name linking to their profile; a deleted account is plain
    text. `_macros/people.html` exports it as `person`: a Jinja macro call costs some 20 µs,
    and a group page writes 60 names."""
    # A thread's authors come back post after post, and page after page: each name is
    # written once, then kept for the app (`app_texts`).
    if not has_request_context():
        return _person(user, avatar, size)
    key = (user.username, user.display_name, user.is_deleted, avatar, size)
    names = app_texts("people")
    html = names.get(key)
    if html is None:
        html = names[key] = _person(user, avatar, size)
    return html


def _person(user, avatar: bool, size: int) -> Markup:
    name = escape(user.display_name)
    if user.is_deleted:
        return Markup(f'<span class="person">{name}</span>')  # noqa: S704 - escaped
    href = escape(path_for("people.profile", username=user.username))
    image = ""
    if avatar:
        src = escape(path_for("people.avatar", username=user.username))
        size = escape(size)
        image = f'<img class="avatar" src="{src}" alt="" width="{size}" height="{size}">'
    return Markup(f'<a class="person" href="{href}">{image}{name}</a>')  # noqa: S704 - escaped


def current_locale() -> str:
    """The page's language ("fr", "en"), for <html lang> and the language menu."""
    return str(_request_state()[1])


def request_translations():
    """This request's catalogue for the current locale, looked up once per locale (a mail
    sent in another language, under force_locale, gets its own): Flask-Babel's
    get_translations costs some 10 µs a call, and a page translates 60 to 130 strings."""
    state, locale = _request_state()
    cache = state.setdefault("_translations", {})
    translations = cache.get(locale)
    if translations is None:
        translations = cache[locale] = get_translations()
    return translations


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """Templates' `_()`, as Jinja's newstyle gettext: the translation is a format string
    (`%%` for a percent sign), its values escaped in an HTML template."""
    text = request_translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalogue's text
    return text % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    """Templates' ngettext(), as Jinja's newstyle one: `num` is among the values."""
    variables.setdefault("num", num)
    text = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalogue's text
    return text % variables


def register_templating(app: Flask) -> None:
    from flask_login import current_user

    from forum.notifications.services import is_following_group, is_following_thread, unread_count
    from forum.permissions import can

    app.jinja_env.globals.update(
        can=can,
        current_locale=current_locale,
        page_numbers=page_numbers,
        path_for=path_for,
        person_link=person,
        url_for=template_url_for,
        when=when,
    )
    # Notification state for the header and follow buttons: each runs one small query for a
    # signed-in member and none for a visitor.
    app.jinja_env.globals.update(
        is_following_thread=is_following_thread,
        is_following_group=is_following_group,
        unread_notification_count=lambda: unread_count(current_user),
    )
    # Flask-Babel's template callables, with the catalogue looked up once per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    # `_` and ngettext, which pages call 20 to 130 times, without the three nested
    # context.call of Jinja's wrappers (`_` → gettext → the function above).
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.jinja_env.globals["ngettext"] = template_ngettext
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["number"] = format_decimal  # 1 000 in French, 1,000 in English
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _site():
        return {
            "site_name": app.config["SITE_NAME"],
            "languages": app.config["LANGUAGES"],
        }
