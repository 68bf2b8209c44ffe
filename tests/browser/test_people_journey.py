"""A member opens another's profile from a mention, changes their password (their other
session ends), changes their @handle, and the old mention still leads to their profile; in
French, in a real Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import TRAP_DIALOGS, sign_in
from tests.factories import PASSWORD

NEW_PASSWORD = "une toute nouvelle phrase secrète"


def seed(live_server) -> int:
    from forum.discussions import services as discussions

    with live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        marie = f.make_user("marie@example.org", name="Marie Dupont", username="marie")
        ines = f.make_user("ines@example.org", name="Inès Bernard", username="ines")
        f.add_member(ines, group, "coordinator")
        thread = discussions.create_thread(
            ines, group, title="Accueil des familles", body="Bienvenue @marie, et à bientôt !"
        )
        discussions.reply(marie, thread, body="Merci @ines pour la salle.")
        return thread.id


def test_profile_from_a_mention_password_and_handle(page: Page, live_server, new_context):
    thread_id = seed(live_server)
    page.add_init_script(TRAP_DIALOGS)
    sign_in(page, "marie@example.org")
    other = new_context().new_page()  # the same member on another device
    sign_in(other, "marie@example.org")

    # From a mention to the profile.
    page.goto(f"/threads/{thread_id}")
    page.get_by_role("link", name="@ines").click()
    expect(page).to_have_url(live_server.url + "/users/ines")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inès Bernard")
    expect(page.get_by_role("main")).to_contain_text("Section LDH de Clamart")
    expect(page.get_by_role("main")).to_contain_text("Coordinat")

    # The password: a mistake first, then the change; the other device is signed out.
    page.goto("/account/")
    page.get_by_role("link", name="Changer mon mot de passe").click()
    page.get_by_label("Votre mot de passe actuel").fill("pas le bon")
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Changer mon mot de passe").click()
    expect(page.get_by_text("Ce mot de passe est incorrect.")).to_be_visible()
    page.get_by_label("Votre mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Changer mon mot de passe").click()
    expect(page.get_by_role("status")).to_contain_text("Vos autres appareils sont déconnectés")
    other.goto("/account/")
    expect(other).to_have_url(live_server.url + "/auth/login?next=%2Faccount%2F")

    # The handle: the old mention still leads to the profile.
    page.get_by_role("link", name="Changer mon @identifiant").click()
    page.get_by_label("Votre @identifiant").fill("marie-d")
    page.get_by_role("main").get_by_role("button", name="Changer mon identifiant").click()
    expect(page.get_by_role("status")).to_contain_text("@marie-d")
    page.goto(f"/threads/{thread_id}")
    page.get_by_role("link", name="@marie").click()
    expect(page).to_have_url(live_server.url + "/users/marie-d")
    expect(page.get_by_role("heading", level=1)).to_have_text("Marie Dupont")
    assert page.evaluate("window.__dialogs") == 0
