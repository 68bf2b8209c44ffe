"""A member pledges to the MOUS project, changes the pledge and withdraws it, in French,
in a real Chromium; the confirmation mail reaches a real SMTP server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import TRAP_DIALOGS, sign_in


def seed(live_server) -> None:
    with live_server.seed() as f:
        clamart = f.make_commune("92023", "Clamart", "92")
        f.make_commune("92048", "Meudon", "92")
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart", commune=clamart)
        f.make_project("un-toit", groups_taking_part=[group], target=20)
        f.make_user("marie@example.org", name="Marie")


def test_a_member_pledges_changes_and_withdraws(page: Page, live_server):
    seed(live_server)
    page.add_init_script(TRAP_DIALOGS)
    sign_in(page, "marie@example.org")

    # From the home page's progress card to the project.
    page.goto("/")
    card = page.locator(".project-card")
    expect(card).to_contain_text("0 engagement sur 20 espérés")
    card.get_by_role("link", name="Un toit pour quinze familles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Un toit pour quinze familles")
    page.get_by_role("link", name="Je participe").click()

    # A mistake first: no form of help. The form comes back with what was typed.
    page.get_by_label("Heures par mois").fill("6")
    page.get_by_label("Votre commune").select_option(label="Clamart")
    page.get_by_label("Le soir").check()
    page.get_by_label("Un message pour les coordinateurs (facultatif)").fill("Je parle roumain")
    page.get_by_role("button", name="Je m'engage").click()
    expect(page.get_by_text("Choisissez au moins une forme d'aide.")).to_be_visible()
    expect(page.get_by_label("Heures par mois")).to_have_value("6")
    expect(page.get_by_label("Le soir")).to_be_checked()

    fieldset = page.get_by_role("group", name="Comment allez-vous aider ?")
    fieldset.get_by_label("Transport").check()
    fieldset.get_by_label("Traduction (roumain, bulgare…)").check()
    page.get_by_label("Afficher mon nom sur la page du projet").check()
    page.get_by_role("button", name="Je m'engage").click()
    expect(page).to_have_url(live_server.url + "/projects/un-toit/")
    expect(page.get_by_role("status")).to_contain_text("votre engagement est enregistré")
    expect(page.get_by_text("1 engagement sur 20 espérés")).to_be_visible()
    expect(page.get_by_role("region", name="Ils et elles participent")).to_contain_text("Marie")

    assert "sent 1," in live_server.send_outbox()
    (mail,) = live_server.mails_to("marie@example.org")
    assert mail["Subject"].startswith("[Toits solidaires] Votre engagement pour")

    # Change it: one form of help fewer, more hours.
    page.get_by_role("link", name="Modifier mon engagement").click()
    expect(page.get_by_label("Heures par mois")).to_have_value("6")
    page.get_by_role("group", name="Comment allez-vous aider ?").get_by_label("Transport").uncheck()
    page.get_by_label("Heures par mois").fill("10")
    page.get_by_role("button", name="Enregistrer mes modifications").click()
    expect(page.get_by_role("status")).to_contain_text("Votre engagement est modifié.")
    kinds = page.get_by_role("region", name="Formes d'aide")
    expect(kinds.get_by_role("row", name=re.compile("^Transport"))).to_contain_text("0")
    expect(kinds.get_by_role("row", name=re.compile("^Traduction"))).to_contain_text("1")

    # Withdraw it.
    page.get_by_role("link", name="Modifier mon engagement").click()
    page.get_by_role("button", name="Retirer mon engagement").click()
    expect(page.get_by_role("status")).to_contain_text("Votre engagement est retiré.")
    expect(page.get_by_text("0 engagement sur 20 espérés")).to_be_visible()
    expect(page.get_by_role("link", name="Je participe")).to_be_visible()
    assert page.evaluate("window.__dialogs") == 0
    assert page.evaluate("window.__csp") == []


def test_the_pledge_form_fits_a_phone(page: Page, live_server):
    seed(live_server)
    sign_in(page, "marie@example.org")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/projects/un-toit/pledge")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width


def test_the_project_pages_pass_axe(page: Page, live_server):
    """The public page, the pledge form with its errors, the coordinators' list."""
    from axe_playwright_python.sync_playwright import Axe

    with live_server.seed() as f:
        f.make_commune("92023", "Clamart", "92")
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        project = f.make_project("un-toit", groups_taking_part=[group], target=20)
        coordinator = f.make_user("claire@example.org", name="Claire")
        f.add_member(coordinator, group, "coordinator")
        f.make_pledge(f.make_user(name="Ana"), project, show_name=True, message="Bonjour")
    sign_in(page, "claire@example.org")
    axe = Axe()
    page.goto("/projects/un-toit/pledge")
    page.get_by_role("button", name="Je m'engage").click()  # nothing chosen: errors
    for url in (None, "/projects/un-toit/", "/projects/un-toit/pledges", "/"):
        if url:
            page.goto(url)
        violations = axe.run(page).response["violations"]
        blocking = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert blocking == [], (url or "pledge form with errors", blocking)
