"""A site admin creates a project through the form (a mistake first), and a coordinator of
a taking-part group renames and retires its forms of help, in French, in a real Chromium;
the pages pass axe and fit a phone."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.helpers import TRAP_DIALOGS, sign_in


def blocking(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_an_admin_creates_a_project_and_a_coordinator_edits_its_forms_of_help(
    page: Page, live_server
):
    with live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        f.make_user("admin@example.org", name="Admin", admin=True)
        coordinator = f.make_user("claire@example.org", name="Claire")
        f.add_member(coordinator, group, "coordinator")
    page.add_init_script(TRAP_DIALOGS)
    sign_in(page, "admin@example.org")
    page.goto("/admin/projects")
    page.get_by_role("link", name="Créer un projet").click()

    # A mistake first: the last day before the first. What was typed stays.
    page.get_by_label("Titre").fill("Écoles ouvertes")
    page.get_by_label("Objectif", exact=True).fill("scolariser 20 enfants")
    page.get_by_label("Description").fill("Nous **accompagnons** les familles.")
    page.get_by_role("group", name="Nouvelle forme d’aide").first.get_by_label("Nom").fill(
        "Aide aux devoirs"
    )
    page.get_by_label("Premier jour (facultatif)").fill("2027-06-30")
    page.get_by_label("Dernier jour (facultatif)").fill("2027-01-10")
    page.get_by_label("Participants espérés").fill("30")
    page.get_by_label("Section LDH de Clamart").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Le projet doit finir le jour de son début ou après.")).to_be_visible()
    expect(page.get_by_label("Objectif", exact=True)).to_have_value("scolariser 20 enfants")
    expect(page.get_by_label("Section LDH de Clamart")).to_be_checked()
    assert blocking(page) == []
    page.get_by_label("Dernier jour (facultatif)").fill("2027-12-20")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Projet Écoles ouvertes créé.")

    # The coordinator renames the form of help, adds one and retires the first.
    page.context.clear_cookies()
    sign_in(page, "claire@example.org")
    page.goto("/projects/ecoles-ouvertes/")
    expect(page.get_by_text("scolariser 20 enfants")).to_be_visible()
    page.get_by_role("link", name="Modifier le projet").click()
    expect(page.get_by_label("Titre")).to_have_count(0)  # the admins' part
    first = page.get_by_role("group", name="Forme d’aide 1")
    first.get_by_label("Nom").fill("Devoirs du soir")
    page.get_by_role("group", name="Nouvelle forme d’aide").first.get_by_label("Nom").fill(
        "Cantine"
    )
    assert blocking(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Le projet est modifié.")
    kinds = page.get_by_role("region", name="Formes d'aide")
    expect(kinds).to_contain_text("Devoirs du soir")
    expect(kinds).to_contain_text("Cantine")
    page.get_by_role("link", name="Modifier le projet").click()
    page.get_by_role("group", name="Forme d’aide 1").get_by_label("Retirée").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("region", name="Formes d'aide")).not_to_contain_text("Devoirs du soir")
    assert page.evaluate("window.__dialogs") == 0
    assert page.evaluate("window.__csp") == []
