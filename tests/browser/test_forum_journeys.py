"""The forum in a real Chromium: the XSS payloads stay inert, and four journeys in French.

- every payload of tests/test_xss.py, posted in one thread, read page by page: no dialog, no
  request to a `javascript:` or `data:` URL or to another host, no forbidden markup in the DOM;
- a visitor reads a thread and its Atom feed;
- a member starts a thread, replies with a quote, previews, mentions a member who gets the mail;
- a member reports a post, a coordinator hides it, a visitor sees the reason in its place;
- a long reply survives a session that ended while it was typed.

Labels not translated yet show in English: names are matched in both languages (`either`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions import services
from forum.discussions.models import POSTS_PER_PAGE, Thread
from forum.extensions import db
from forum.groups.models import Group
from tests.browser.helpers import TRAP_DIALOGS, either, header, sign_in
from tests.factories import PASSWORD
from tests.test_xss import PAYLOADS, POST_ATTRIBUTES, POST_SCHEMES, POST_TAGS

ATOM = "{http://www.w3.org/2005/Atom}"

NEW_THREAD = either("New thread", "Nouveau fil", "Nouveau fil de discussion", "Nouvelle discussion")
TITLE = either("Title", "Titre")
MESSAGE = either("Message")
YOUR_REPLY = either("Your reply", "Votre réponse")
PUBLISH = either("Publish", "Publier")
PREVIEW = either("Preview", "Aperçu", "Prévisualiser")
POST_REPLY = either("Post the reply", "Publier la réponse", "Envoyer la réponse", "Répondre")
QUOTE = either("Quote", "Citer")
REPORT = either("Report", "Signaler")
ABUSIVE = either("Abusive or hateful", "Injurieux ou haineux")
DETAILS = either(
    "Details for the moderators (optional)", "Précisions pour les modérateurs (facultatif)"
)
NOTE = either(
    "Your own words, shown with it (optional)", "Vos propres mots, affichés avec elle (facultatif)"
)
SEND_REPORT = either("Send the report", "Envoyer le signalement")
HIDE_MESSAGE = either("Hide the message", "Masquer le message", "Cacher le message")
SIGN_IN = either("Sign in", "Se connecter")


def watch(context: BrowserContext) -> tuple[list[str], list[str]]:
    """Trap dialogs in every page of the context; return (dialogs seen, URLs requested)."""
    context.add_init_script(TRAP_DIALOGS)
    dialogs: list[str] = []
    requests: list[str] = []
    context.on("page", lambda p: p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
    context.on("request", lambda r: requests.append(r.url))
    return dialogs, requests


def seed_members(live_server, **people: str) -> dict[str, dict]:
    """Verified members of one group `quartier-nord` (Clamart); `people` maps a username to
    a role. Old accounts, so that no new-account limit gets in the way."""
    out: dict[str, dict] = {}
    with live_server.seed() as f:
        commune = f.make_commune("92023", "Clamart", "92")
        group = f.make_group("quartier-nord", name="Quartier Nord", commune=commune)
        for username, role in people.items():
            user = f.make_user(
                f"{username}@example.org", name=username.capitalize(), username=username
            )
            user.created_at = utcnow() - timedelta(days=90)
            f.add_member(user, group, role)
            out[username] = {"id": user.id, "email": user.email, "name": user.display_name}
        out["group"] = {"id": group.id, "slug": group.slug, "name": group.name}
    return out


def seed_thread(live_server, author_id: int, group_id: int, title: str, *bodies: str) -> dict:
    """A thread whose posts (first one included) are `bodies`, all by one author."""
    with live_server.seed():
        author = db.session.get(User, author_id)
        thread = services.create_thread(
            author, db.session.get(Group, group_id), title=title, body=bodies[0]
        )
        posts = [services.reply(author, thread, body=body) for body in bodies[1:]]
        db.session.flush()
        first = services.post_by_number(thread, 1)
        return {"id": thread.id, "post_ids": [first.id] + [p.id for p in posts]}


def seed_reply(live_server, author_id: int, thread_id: int, body: str) -> int:
    with live_server.seed():
        post = services.reply(
            db.session.get(User, author_id), db.session.get(Thread, thread_id), body=body
        )
        db.session.flush()
        return post.id


# --- 1. Every XSS payload in Chromium ----------------------------------------------------

AUDIT_DOM = """
({tags, attributes, schemes}) => {
  const problems = [];
  const show = (el) => el.outerHTML.slice(0, 160);
  for (const body of document.querySelectorAll(".post-body")) {
    for (const el of body.querySelectorAll("*")) {
      const tag = el.localName;
      if (!tags.includes(tag)) problems.push("tag not allowed: " + show(el));
      for (const attr of el.attributes) {
        if (!(attributes[tag] || []).includes(attr.name)) {
          problems.push("attribute not allowed: " + show(el));
        }
      }
      if (tag === "a" && el.hasAttribute("href") && !schemes.includes(el.protocol)) {
        problems.push("link scheme " + el.protocol + ": " + show(el));
      }
    }
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) problems.push("event handler: " + show(el));
      if (/^\\s*(javascript|vbscript|data):/i.test(attr.value.replace(/[\\t\\n\\r]/g, ""))
          && ["href", "src", "action", "formaction", "data", "xlink:href"].includes(attr.name)) {
        problems.push("dangerous URL: " + show(el));
      }
    }
  }
  for (const sel of ["script", "iframe", "frame", "object", "embed", "base", "body style",
                     ".post-body svg", ".post-body math", ".post-body img"]) {
    const found = document.querySelectorAll(sel);
    if (found.length) problems.push(found.length + " × " + sel);
  }
  return problems;
}
"""

# Fire the events an injected handler would wait for, on everything inside the posts.
POKE_POSTS = """
() => {
  for (const el of document.querySelectorAll(".post-body, .post-body *")) {
    for (const type of ["mouseover", "mouseenter", "mousemove", "pointerover", "focus",
                        "focusin", "animationstart", "transitionend", "toggle", "load",
                        "error"]) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
  }
}
"""


LINK_CENTRES = """
() => [...document.querySelectorAll(".post-body a")].map((a) => {
  const box = a.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
}).filter(([x, y]) => x > 0 && y > 0)
"""


def test_every_xss_payload_stays_inert_in_chromium(new_context, live_server):
    """The browser ignores the Content-Security-Policy (bypass_csp), so nothing but the
    sanitizer stands between the payloads and the page: no script may run. (The policy
    itself is checked on every page by test_accessibility.py.)"""
    people = seed_members(live_server, sam="member", lou="member")
    bodies = ["Fil de test XSS."] + [payload for _, payload in PAYLOADS]
    thread = seed_thread(
        live_server, people["sam"]["id"], people["group"]["id"], "Charges XSS", *bodies
    )
    pages = (len(bodies) - 1) // POSTS_PER_PAGE + 1
    assert pages >= 4

    context = new_context(bypass_csp=True)
    dialogs, requests = watch(context)
    navigations: list[str] = []
    page = context.new_page()
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    # As a member too: the page then has more markup around each post (quote, report...).
    sign_in(page, people["lou"]["email"])

    seen = 0
    for number in range(1, pages + 1):
        url = f"{live_server.url}/threads/{thread['id']}?page={number}"
        response = page.goto(url)
        assert response is not None and response.ok, url
        page.wait_for_load_state("load")
        page.evaluate(POKE_POSTS)
        # A real pointer over every link: the whole page in one tall viewport, so each move
        # is one call (a locator's hover() waits for the element to be stable first).
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": min(height, 16000)})
        for x, y in page.evaluate(LINK_CENTRES):
            page.mouse.move(x, y)
        page.wait_for_timeout(300)  # long enough for a meta refresh or an SVG animation
        assert dialogs == [], f"page {number}: dialogs opened"
        assert page.evaluate("window.__dialogs") == 0, f"page {number}: a script ran"
        assert page.url == url, f"page {number} navigated away to {page.url}"
        problems = page.evaluate(
            AUDIT_DOM,
            {
                "tags": sorted(POST_TAGS),
                "attributes": {k: sorted(v) for k, v in POST_ATTRIBUTES.items()},
                "schemes": [f"{s}:" for s in sorted(POST_SCHEMES)],
            },
        )
        assert problems == [], f"page {number}: {problems}"
        expected = min(POSTS_PER_PAGE, len(bodies) - (number - 1) * POSTS_PER_PAGE)
        expect(page.locator("article.post")).to_have_count(expected)
        seen += expected
    assert seen == len(bodies)

    # The payloads show as text: the first one, literally.
    page.goto(f"/threads/{thread['id']}?page=1")
    expect(
        page.locator(".post-body p", has_text=re.compile(r"^<script>alert\(1\)</script>$"))
    ).to_have_count(1)

    assert dialogs == []
    bad = [u for u in requests if re.match(r"(?i)\s*(javascript|vbscript|data):", u)]
    assert bad == []
    elsewhere = [u for u in requests if not u.startswith(live_server.url)]
    assert elsewhere == [], "requests left the site"
    assert all(u.startswith(live_server.url) or u == "about:blank" for u in navigations), (
        navigations
    )


# --- 2. A visitor reads a thread and its feed ------------------------------------------


def find_feed_link(page: Page) -> str | None:
    """The thread's Atom feed, advertised in <head> or linked in the page."""
    for selector in (
        'head link[rel="alternate"][type="application/atom+xml"]',
        'main a[href$="feed.atom"]',
        'main a[type="application/atom+xml"]',
    ):
        found = page.locator(selector)
        if found.count():
            return found.first.get_attribute("href")
    return None


def test_visitor_reads_a_thread_and_its_atom_feed(page: Page, live_server):
    people = seed_members(live_server, claire="coordinator", malik="member")
    thread = seed_thread(
        live_server,
        people["claire"]["id"],
        people["group"]["id"],
        "Permanence logement de samedi",
        "La permanence a lieu **samedi à 10 h** à la maison de quartier.",
    )
    seed_reply(live_server, people["malik"]["id"], thread["id"], "Je viendrai avec deux voisins.")

    page.goto("/")
    groups = page.get_by_role("region", name="Groupes locaux par commune")
    groups.get_by_role("link", name="Quartier Nord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quartier Nord")
    page.get_by_role("link", name="Permanence logement de samedi").click()
    expect(page).to_have_url(f"{live_server.url}/threads/{thread['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Permanence logement de samedi")
    posts = page.locator("article.post")
    expect(posts).to_have_count(2)
    expect(posts.nth(0)).to_contain_text("Claire")
    expect(posts.nth(0).locator("strong", has_text="samedi à 10 h")).to_be_visible()
    expect(posts.nth(1)).to_contain_text("Je viendrai avec deux voisins.")
    # A visitor is offered to sign in, not a reply form.
    expect(page.get_by_role("textbox", name=YOUR_REPLY)).to_have_count(0)
    expect(page.locator("#reply a[href^='/auth/login']")).to_be_visible()

    # The feed: the advertised link, else the address of the contract.
    href = find_feed_link(page) or f"/threads/{thread['id']}/feed.atom"
    feed_url = href if href.startswith("http") else live_server.url + href
    response = page.request.get(feed_url)
    if response.status == 404:
        pytest.xfail("no thread feed yet (/threads/<id>/feed.atom is being built)")
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/atom+xml")
    body = response.body()
    try:
        import feedparser
    except ImportError:
        feedparser = None
    if feedparser is not None:
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
    # Our own server's answer, over 127.0.0.1.
    root = ElementTree.fromstring(body)  # noqa: S314
    assert root.tag == f"{ATOM}feed"
    assert "Permanence logement de samedi" in (root.findtext(f"{ATOM}title") or "")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    text = ElementTree.tostring(root, encoding="unicode")
    assert "deux voisins" in text
    for link in root.iter(f"{ATOM}link"):
        assert link.get("href", "").startswith(("http://", "https://")), link.attrib
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")


# --- 3. A member starts a thread, quotes, previews, mentions --------------------------


def test_member_starts_a_thread_quotes_previews_and_mentions(page: Page, live_server):
    people = seed_members(live_server, camille="member", alix="member", dominique="member")
    slug = people["group"]["slug"]
    title = "Collecte de vêtements d'hiver"

    sign_in(page, people["camille"]["email"])
    page.goto(f"/groups/{slug}/")
    page.get_by_role("link", name=NEW_THREAD).click()
    expect(page).to_have_url(f"{live_server.url}/groups/{slug}/threads/new")
    page.get_by_label(TITLE).fill(title)
    page.get_by_label(MESSAGE).fill("Qui peut stocker des cartons ?\n\nNous en avons **douze**.")
    page.get_by_role("button", name=PUBLISH).click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/threads/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article.post strong", has_text="douze")).to_be_visible()
    thread_id = int(re.search(r"/threads/(\d+)", page.url).group(1))

    # Alix answers (seeded); Camille quotes Alix.
    alix_post = seed_reply(
        live_server, people["alix"]["id"], thread_id, "J'ai une cave sèche, rue Condorcet."
    )
    page.goto(f"/threads/{thread_id}?page=1")
    page.locator(f"#post-{alix_post}").get_by_role("link", name=QUOTE).click()
    expect(page).to_have_url(re.compile(rf"quote={alix_post}"))
    box = page.get_by_label(YOUR_REPLY)
    expect(box).to_have_value(
        f"> **@alix**, [message n° 2](/posts/{alix_post}) :\n"
        "> J'ai une cave sèche, rue Condorcet.\n\n"
    )
    box.fill(box.input_value() + "Merci ! @dominique, peux-tu aider Alix samedi ?")

    page.get_by_role("button", name=PREVIEW).click()
    preview = page.locator(".preview")
    expect(preview.locator("blockquote")).to_contain_text("J'ai une cave sèche")
    expect(preview.locator("span.mention", has_text="@dominique")).to_be_visible()
    expect(page.locator("article.post")).to_have_count(2)  # nothing posted yet
    expect(page.get_by_label(YOUR_REPLY)).to_have_value(re.compile(r"@dominique, peux-tu"))

    page.get_by_role("button", name=POST_REPLY).click()
    expect(page).to_have_url(re.compile(rf"/threads/{thread_id}\?page=1#post-\d+$"))
    posts = page.locator("article.post")
    expect(posts).to_have_count(3)
    expect(posts.nth(2).locator("blockquote")).to_contain_text("rue Condorcet")
    expect(posts.nth(2).locator("span.mention", has_text="@dominique")).to_be_visible()
    expect(page.get_by_label(YOUR_REPLY)).to_have_value("")

    live_server.send_outbox()
    mails = live_server.mails_to(people["dominique"]["email"])
    if not mails:
        pytest.xfail("mention e-mails are not sent yet (forum/notifications is being built)")
    assert len(mails) == 1, [m["Subject"] for m in mails]
    text = live_server.smtp.text(mails[0])
    assert title in mails[0]["Subject"] + text
    assert live_server.url + "/" in text
    assert mails[0]["List-Unsubscribe"]


# --- 4. A coordinator hides a reported post --------------------------------------------


def test_coordinator_hides_a_reported_post(new_context, live_server):
    people = seed_members(live_server, claire="coordinator", bruno="member", nadia="member")
    slug = people["group"]["slug"]
    thread = seed_thread(
        live_server,
        people["nadia"]["id"],
        people["group"]["id"],
        "Réunion de mardi",
        "Ordre du jour ?",
    )
    insult = "Les gens du bâtiment C sont des parasites."
    bad_post = seed_reply(live_server, people["bruno"]["id"], thread["id"], insult)

    # Nadia reports it.
    nadia = new_context().new_page()
    sign_in(nadia, people["nadia"]["email"])
    nadia.goto(f"/threads/{thread['id']}?page=1")
    nadia.locator(f"#post-{bad_post}").get_by_role("link", name=REPORT).click()
    expect(nadia).to_have_url(f"{live_server.url}/posts/{bad_post}/flag")
    expect(nadia.locator("blockquote")).to_contain_text(insult)
    nadia.get_by_label(ABUSIVE).check()
    nadia.get_by_label(DETAILS).fill("Propos insultants envers des voisins")
    nadia.get_by_role("button", name=SEND_REPORT).click()
    expect(nadia).to_have_url(re.compile(rf"/threads/{thread['id']}\?page=1#post-{bad_post}$"))
    expect(nadia.get_by_role("status")).to_be_visible()

    # Claire, who coordinates the group, hides it from the queue, with her own reason.
    claire = new_context().new_page()
    sign_in(claire, people["claire"]["email"])
    claire.goto(f"/groups/{slug}/flags")
    report = claire.locator("article.post")
    expect(report).to_have_count(1)
    expect(report).to_contain_text("Propos insultants envers des voisins")
    expect(report).to_contain_text(insult)
    report.locator("summary").click()  # the hiding form opens without JavaScript
    report.get_by_label(ABUSIVE).check()
    note = "Contraire à la charte du forum"
    report.get_by_label(NOTE).fill(note)
    report.get_by_role("button", name=HIDE_MESSAGE).click()
    expect(claire).to_have_url(f"{live_server.url}/groups/{slug}/flags")
    expect(claire.get_by_role("status")).to_be_visible()
    expect(claire.locator("article.post")).to_have_count(0)

    # A visitor sees the moderator's reason in the post's place: not the post, and never
    # the reporter's words.
    visitor = new_context().new_page()
    visitor.goto(f"/threads/{thread['id']}")
    hidden = visitor.locator(f"#post-{bad_post}")
    expect(hidden).to_contain_text(note)
    expect(hidden.locator(".post-removed")).to_be_visible()
    expect(visitor.get_by_text("parasites")).to_have_count(0)
    expect(visitor.get_by_text("Propos insultants")).to_have_count(0)
    expect(visitor.locator("article.post")).to_have_count(2)


# --- 5. A long reply survives an expired session ---------------------------------------

LONG_REPLY = "\n\n".join(
    f"Paragraphe {n} : le collectif demande un relogement digne pour les familles "
    f"du campement, avec un suivi social, une scolarisation des enfants et un accès à l'eau."
    for n in range(1, 200)
)[:5000]


def test_long_reply_survives_an_expired_session(page: Page, context: BrowserContext, live_server):
    assert len(LONG_REPLY) == 5000
    people = seed_members(live_server, ines="member", paul="member")
    thread = seed_thread(
        live_server, people["paul"]["id"], people["group"]["id"], "Lettre au maire", "Brouillon ?"
    )

    sign_in(page, people["ines"]["email"])
    page.goto(f"/threads/{thread['id']}")
    box = page.get_by_label(YOUR_REPLY)
    box.fill(LONG_REPLY)

    context.clear_cookies()  # the session ends while Inès is typing
    page.get_by_role("button", name=POST_REPLY).click()

    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/auth/login\?next="))
    expect(page.get_by_role("status")).to_be_visible()
    expect(header(page).get_by_role("link", name=SIGN_IN)).to_be_visible()
    page.get_by_label("Adresse e-mail").fill(people["ines"]["email"])
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=SIGN_IN).click()

    expect(page).to_have_url(re.compile(rf"/threads/{thread['id']}\?page=1&draft="))
    box = page.get_by_label(YOUR_REPLY)
    expect(box).to_have_value(LONG_REPLY)
    expect(page.locator("article.post")).to_have_count(1)  # nothing was posted

    page.get_by_role("button", name=POST_REPLY).click()
    posts = page.locator("article.post")
    expect(posts).to_have_count(2)
    expect(posts.nth(1)).to_contain_text("Paragraphe 1 : le collectif demande")
    expect(posts.nth(1)).to_contain_text("Paragraphe 31 : le collectif")
