"""The shared page patterns on a phone (375 × 740), in a real Chromium.

On the home page, a group page, a thread page and the search results: nothing wider than the
screen, a header of one row plus the search field, a footer at the bottom of the viewport
when the page is short; the group page lists its threads one block each, with their states in
words ("Épinglé · Verrouillé").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from forum.discussions import moderation, services
from tests.browser.helpers import header, sign_in

PHONE = {"width": 375, "height": 740}
SHOTS = Path("/tmp/shots")

# Sizes of the header's parts, and of everything wider than the screen.
MEASURE = """
() => {
  const box = (el) => el.getBoundingClientRect();
  const header = box(document.querySelector("body > header"));
  const brand = box(document.querySelector(".brand"));
  const nav = box(document.querySelector(".account-menu"));
  const search = box(document.querySelector(".header-search"));
  const footer = box(document.querySelector("body > footer"));
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => box(el).right > innerWidth + 0.5)
    .map((el) => el.tagName + "." + el.className);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    viewport: innerHeight,
    header: header.height, brand, nav, search, footerBottom: footer.bottom,
    pageHeight: document.documentElement.scrollHeight, wide: wide.slice(0, 5),
  };
}
"""


def seed(live_server) -> dict:
    """A member, a group with a pinned and locked thread among others, a few replies."""
    with live_server.seed() as f:
        member = f.make_user("membre@example.org", name="Dominique Lefèvre-Martin")
        coordinator = f.make_user(name="Coordinatrice")
        group = f.make_group("clamart-solidaire", name="Comité de soutien de Clamart")
        f.add_member(member, group)
        f.add_member(coordinator, group, "coordinator")
        pinned = services.create_thread(
            member,
            group,
            title="Réunion avec la mairie au sujet du terrain de la N118 et de la scolarisation",
            body="Compte rendu de la rencontre avec la mairie : https://example.org/"
            + "compte-rendu-tres-long-" * 6,
        )
        moderation.set_pinned(coordinator, pinned, True)
        moderation.set_locked(coordinator, pinned, True)
        for n in range(3):
            thread = services.create_thread(
                coordinator, group, title=f"Collecte de vêtements n° {n + 1}", body="Bonjour."
            )
            services.reply(member, thread, body="Je peux aider le samedi, voir avec la mairie.")
        first = services.post_by_number(pinned, 1)
        services.edit_post(member, first, body=first.body + "\n\nCorrigé.")
        return {
            "slug": group.slug,
            "thread": pinned.id,
            "post": first.id,
            "email": member.email,
            "insee": group.commune.insee,
        }


def measure(page: Page, url: str, name: str) -> dict:
    response = page.goto(url)
    assert response is not None and response.ok, url
    sizes = page.evaluate(MEASURE)
    if os.environ.get("FORUM_SHOTS"):  # to look at the pages by hand
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"phone-{name}.png", full_page=True)
    # No horizontal scrolling.
    assert sizes["scrollWidth"] <= PHONE["width"], f"{name}: {sizes['wide']}"
    # The header: the name and the account menu on one row, the search field below.
    brand, nav, search = sizes["brand"], sizes["nav"], sizes["search"]
    row = max(brand["bottom"], nav["bottom"]) - min(brand["top"], nav["top"])
    assert row <= 1.6 * max(brand["height"], nav["height"]), f"{name}: not one row: {sizes}"
    assert search["top"] >= row - 1, f"{name}: the search field is not below: {sizes}"
    assert sizes["header"] <= row + search["height"] + 30, f"{name}: header too tall: {sizes}"
    assert search["width"] >= 0.8 * PHONE["width"], f"{name}: search field too narrow"
    return sizes


@pytest.fixture
def phone(new_context):
    return new_context(viewport=PHONE).new_page()


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_pages_fit_a_phone(phone: Page, live_server, signed_in: bool):
    data = seed(live_server)
    if signed_in:
        phone.set_viewport_size({"width": 1024, "height": 740})
        sign_in(phone, data["email"])
        phone.set_viewport_size(PHONE)
    pages = {
        "home": "/",
        "group": f"/groups/{data['slug']}/",
        "thread": f"/threads/{data['thread']}",
        "search": "/search?q=mairie",
    }
    # The other pages share base.html and the same CSS: a few forms and lists too.
    if signed_in:
        pages |= {
            "new-thread": f"/groups/{data['slug']}/threads/new",
            "history": f"/posts/{data['post']}/history",
            "notifications": "/notifications",
            "account": "/account/",
        }
    else:
        pages |= {"register": "/auth/register", "commune": f"/communes/{data['insee']}/"}
    for name, url in pages.items():
        measure(phone, url, f"{name}-{'member' if signed_in else 'visitor'}")

    # The account links are behind "Menu", which opens without JavaScript.
    menu = header(phone).locator("details.account-menu > summary")
    link = "Se connecter" if not signed_in else "Notifications"
    expect(header(phone).get_by_role("link", name=link)).to_be_hidden()
    menu.click()
    expect(header(phone).get_by_role("link", name=link)).to_be_visible()

    # A short page: the footer sits at the bottom of the viewport, not halfway up.
    sizes = measure(phone, "/search", "search-empty")
    assert sizes["pageHeight"] <= PHONE["height"]
    assert abs(sizes["footerBottom"] - PHONE["height"]) <= 1, sizes


def test_group_page_lists_threads_as_blocks_with_their_states_in_words(phone: Page, live_server):
    data = seed(live_server)
    phone.goto(f"/groups/{data['slug']}/")
    rows = phone.locator("main tbody tr")
    expect(rows).to_have_count(4)
    first = rows.first
    expect(first.locator(".badges")).to_have_text("Épinglé · Verrouillé")
    expect(rows.nth(1).locator(".badges")).to_have_count(0)
    # One block per thread, as wide as the list: title first, then replies and activity
    # below it, with words, not bare numbers under a column heading.
    expect(phone.locator("main thead")).not_to_be_in_viewport()
    table = phone.locator("main .thread-list").bounding_box()
    cells = [first.locator("td").nth(i).bounding_box() for i in range(3)]
    assert cells[0]["width"] >= table["width"] - 1
    assert cells[1]["y"] >= cells[0]["y"] + cells[0]["height"] - 1
    assert cells[2]["y"] >= cells[0]["y"] + cells[0]["height"] - 1
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("1 réponse")
    expect(first.locator("td").nth(1)).to_have_text("0 réponse")
    expect(first.locator("time")).to_have_text("à l'instant")


def test_phone_layout_keeps_axe_quiet_with_the_menu_open(phone: Page, live_server):
    """The phone-only parts (the open Menu, the thread table shown as a list) are checked
    by axe-core too: the accessibility suite runs at a desktop size."""
    data = seed(live_server)
    phone.goto(f"/groups/{data['slug']}/")
    header(phone).locator("details.account-menu > summary").click()
    expect(header(phone).get_by_role("link", name="Se connecter")).to_be_visible()
    violations = Axe().run(phone).response["violations"]
    blocking = [(v["id"], v["help"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert blocking == []
