"""The contact log on a phone (375 px), without JavaScript, in a real Chromium, in French:
a coordinator makes a member keeper; the keeper records a household with consent, logs two
contacts and a failed attempt, sees it fall overdue once time has passed, finds a pledger
who offered translation, exports the record and erases it."""

from __future__ import annotations

import json
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from forum.contactlog.models import Contact, Household
from forum.extensions import db
from tests.browser.helpers import sign_in

PHONE = {"width": 375, "height": 740}
PSEUDONYM = "Famille Capucine"


def seed(live_server) -> dict:
    with live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        claire = f.make_user("claire@example.org", name="Claire")
        karim = f.make_user("karim@example.org", name="Karim")
        ioana = f.make_user("ioana@example.org", name="Ioana")
        f.add_member(claire, group, "coordinator")
        f.add_member(karim, group)
        project = f.make_project(groups_taking_part=[group])
        f.make_pledge(ioana, project, help_kinds=("translation",), availability=("weekends",))
        return {"slug": group.slug}


def phone(new_context, email: str):
    """A phone without JavaScript, signed in (on a wide window: the phone's header folds
    the sign-out button into its menu), then narrowed to 375 px."""
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, email)
    page.set_viewport_size(PHONE)
    return page


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def move_time(live_server, days: int) -> None:
    """Time passes: every stored date of the log goes back `days` days."""
    back = timedelta(days=days)
    with live_server.app.app_context():
        for household in db.session.scalars(select(Household)):
            household.consent_on -= back
            if household.last_contact_on:
                household.last_contact_on -= back
        for contact in db.session.scalars(select(Contact)):
            contact.happened_on -= back
        db.session.commit()


def test_a_household_from_consent_to_erasure_on_a_phone(new_context, live_server):
    seeded = seed(live_server)
    log = f"/groups/{seeded['slug']}/households/"

    claire = phone(new_context, "claire@example.org")
    claire.goto(log + "keepers")
    claire.get_by_role("button", name="Confier le suivi à Karim").click()
    expect(claire.get_by_role("status")).to_contain_text("Karim participe désormais au suivi")

    karim = phone(new_context, "karim@example.org")
    karim.goto(log)
    karim.get_by_role("link", name="Nouveau ménage").click()
    karim.get_by_label("La famille a donné son accord pour ce suivi").check()
    karim.get_by_label("Oral, avec un interprète").check()
    karim.get_by_label("Pseudonyme").fill(PSEUDONYM)
    karim.get_by_label("Enfants", exact=True).fill("2")
    karim.get_by_label("Enfants scolarisés").fill("1")
    karim.get_by_role("button", name="Enregistrer le ménage").click()
    expect(karim.get_by_role("heading", level=1)).to_have_text(PSEUDONYM)
    assert fits(karim)

    # Two contacts and a failed attempt, each in a few taps (the date is today's).
    karim.get_by_label("Résumé").fill("Visite à l'hôtel, rendez-vous PMI à prévoir.")
    karim.get_by_role("group", name="Besoins exprimés").get_by_label("Santé").check()
    karim.get_by_role("button", name="Noter", exact=True).click()
    expect(karim.get_by_role("status")).to_contain_text("Le contact est noté.")
    karim.get_by_role("group", name="Comment").get_by_label("Téléphone").check()
    karim.get_by_label("Résumé").fill("Appel : la PMI reçoit mardi.")
    karim.get_by_role("button", name="Noter", exact=True).click()
    karim.get_by_label("Tentative sans suite : pas de réponse").check()
    karim.get_by_role("button", name="Noter", exact=True).click()
    expect(karim.get_by_role("status")).to_contain_text("Le contact est noté.")
    expect(karim.get_by_text("Appel : la PMI reçoit mardi.")).to_be_visible()
    assert fits(karim)

    karim.goto(log)
    row = karim.get_by_role("listitem").filter(has_text=PSEUDONYM)
    expect(row).not_to_contain_text("En retard")

    move_time(live_server, 40)
    karim.reload()
    expect(row).to_contain_text("En retard")
    expect(karim.get_by_text("1 en retard")).to_be_visible()

    # Who could help with the health appointment: a pledger who offered translation.
    row.get_by_role("link", name=PSEUDONYM).click()
    karim.get_by_role("link", name="Qui pourrait aider ?").click()
    helpers = karim.locator("#helpers")
    expect(helpers).to_contain_text("Ioana")
    expect(helpers).to_contain_text("Traduction")
    expect(helpers).not_to_contain_text("ioana@example.org")

    export = karim.get_by_role("link", name="Exporter tout le dossier (JSON)")
    response = karim.request.get(export.get_attribute("href"))
    assert response.headers["cache-control"] == "no-store"
    record = json.loads(response.text())
    assert record["pseudonym"] == PSEUDONYM and len(record["contacts"]) == 3

    karim.get_by_label("Effacer ce ménage et tous ses contacts, définitivement").check()
    karim.get_by_role("button", name="Effacer le dossier").click()
    expect(karim.get_by_role("status")).to_contain_text("Le dossier du ménage est effacé.")
    expect(karim.get_by_role("main")).not_to_contain_text(PSEUDONYM)
