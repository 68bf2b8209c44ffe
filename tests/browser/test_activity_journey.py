"""A member's round of the forum in a real Chromium, in French, without a script of ours:
they open another member's profile from a mention, thank a post (and see it counted), change
their password, then find a thread by a word of one of its replies and land on that reply."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import TRAP_DIALOGS, header, sign_in
from tests.factories import PASSWORD

NEW_PASSWORD = "une phrase de passe toute neuve"


@pytest.fixture(scope="module")
def world(module_live_server) -> dict:
    from forum.discussions import services as discussions

    with module_live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        marie = f.make_user("marie@example.org", name="Marie Dupont", username="marie")
        ines = f.make_user("ines@example.org", name="Inès Bernard", username="ines")
        f.add_member(ines, group, "coordinator")
        f.add_member(marie, group)
        thread = discussions.create_thread(
            ines, group, title="Accueil des familles", body="Bienvenue @marie, voyez avec @ines."
        )
        for n in range(2, 24):  # the reply to find is on page 2
            discussions.reply(ines, thread, body=f"Point d'étape numéro {n}.")
        target = discussions.reply(
            ines, thread, body="La salle paroissiale est disponible pour la permanence."
        )
        return {"thread": thread.id, "target": target.id, "number": target.number}


def test_a_members_round_mention_reaction_password_search(
    open_module_tab, module_live_server, world
):
    page: Page = open_module_tab()
    page.add_init_script(TRAP_DIALOGS)
    sign_in(page, "marie@example.org")

    # From the home page's latest discussions to the thread, then the mention to the profile.
    page.goto("/")
    latest = page.get_by_role("region", name="Dernières discussions")
    latest.get_by_role("link", name="Accueil des familles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accueil des familles")
    page.get_by_role("link", name="@ines").first.click()
    expect(page).to_have_url(module_live_server.url + "/users/ines")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inès Bernard")

    # Thank the opening post: the button is pressed and counts one; no script involved.
    page.go_back()
    first_post = page.locator("article.post").first
    thanks = first_post.get_by_role("button", name=re.compile(r"^Merci"))
    expect(thanks).to_have_attribute("aria-pressed", "false")
    thanks.click()
    first_post = page.locator("article.post").first
    thanks = first_post.get_by_role("button", name=re.compile(r"^Merci"))
    expect(thanks).to_have_attribute("aria-pressed", "true")
    expect(thanks).to_have_text(re.compile(r"Merci\s+1"))

    # Change the password.
    page.goto("/account/")
    page.get_by_role("link", name="Changer mon mot de passe").click()
    page.get_by_label("Votre mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Changer mon mot de passe").click()
    expect(page.get_by_role("status")).to_contain_text("mot de passe")

    # Find the thread by a word of a reply, from the header's search box.
    box = header(page).get_by_role("searchbox", name="Chercher dans le forum")
    box.fill("paroissiale")
    box.press("Enter")
    expect(page.get_by_role("status").last).to_contain_text("1 fil trouvé")
    results = page.get_by_role("main").locator("li.search-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(f"message n° {world['number']}")
    results.first.get_by_role("link", name="Accueil des familles").click()

    # Landed on that reply, on its page, in view.
    expect(page).to_have_url(
        f"{module_live_server.url}/threads/{world['thread']}?page=2#post-{world['target']}"
    )
    reply = page.locator(f"#post-{world['target']}")
    expect(reply).to_contain_text("La salle paroissiale est disponible")
    expect(reply).to_be_in_viewport()
    assert page.evaluate("window.__dialogs") == 0
    assert page.evaluate("window.__csp") == []
