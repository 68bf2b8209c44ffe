"""A meeting's life in a real Chromium, in French, with a real mail server: planned with
one seat, two members answer, one waits and moves up when the other withdraws, the
reminder arrives the day before, the minutes record two decisions shown on the group page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Page, expect

from forum.extensions import db
from forum.meetings.models import PARIS, Meeting
from tests.browser.helpers import sign_in
from tests.services import SMTPSink


def seed(live_server) -> dict:
    with live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        people = {
            "claire": f.make_user("claire@example.org", name="Claire"),
            "karim": f.make_user("karim@example.org", name="Karim"),
            "ines": f.make_user("ines@example.org", name="Inès"),
        }
        f.add_member(people["claire"], group, "coordinator")
        f.add_member(people["karim"], group)
        f.add_member(people["ines"], group)
        return {"slug": group.slug, **{k: v.email for k, v in people.items()}}


def answer(page: Page, url: str, choice: str) -> None:
    page.goto(url)
    page.get_by_role("group", name="Viendrez-vous ?").get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Envoyer ma réponse").click()


def subjects(live_server, email: str) -> list[str]:
    return [m["Subject"] for m in live_server.mails_to(email)]


def test_a_meeting_from_planning_to_its_decisions(new_context, live_server):
    seeded = seed(live_server)
    day = datetime.now(PARIS).date() + timedelta(days=3)
    claire = new_context().new_page()
    sign_in(claire, seeded["claire"])

    # Claire plans a meeting with one seat, from the group page.
    claire.goto(f"/groups/{seeded['slug']}/")
    claire.get_by_role("link", name="Programmer une réunion").click()
    claire.get_by_label("Titre").fill("Préparer le rendez-vous en mairie")
    claire.get_by_label("Début").fill(f"{day.isoformat()}T19:00")
    claire.get_by_label("Fin").fill(f"{day.isoformat()}T21:00")
    claire.get_by_label("Lieu").fill("Maison des associations, Clamart")
    claire.get_by_label("Ordre du jour").fill("1. Le terrain\n2. La cantine")
    claire.get_by_label("Nombre de places (facultatif)").fill("1")
    claire.get_by_role("button", name="Programmer la réunion").click()
    expect(claire.get_by_role("status")).to_contain_text("La réunion est programmée.")
    expect(claire.get_by_role("heading", level=1)).to_have_text("Préparer le rendez-vous en mairie")
    meeting_url = claire.url
    assert re.search(r"/meetings/\d+$", meeting_url)
    expect(claire.get_by_text("19:00–21:00")).to_be_visible()

    # Karim takes the seat; Inès goes on the waiting list.
    karim = new_context().new_page()
    sign_in(karim, seeded["karim"])
    answer(karim, meeting_url, "Oui")
    expect(karim.get_by_role("status")).to_contain_text("vous venez")
    ines = new_context().new_page()
    sign_in(ines, seeded["ines"])
    answer(ines, meeting_url, "Oui")
    expect(ines.get_by_role("status")).to_contain_text("liste d'attente")

    # Karim cannot come after all: Inès moves up, and is told by mail.
    answer(karim, meeting_url, "Non")
    expect(karim.get_by_role("status")).to_contain_text("vous ne venez pas")
    live_server.send_outbox()
    assert any("Une place est à vous" in s for s in subjects(live_server, seeded["ines"]))
    seat_mail = live_server.mails_to(seeded["ines"])[-1]
    [attached] = [p for p in seat_mail.iter_attachments()]
    assert attached.get_content_type() == "text/calendar"
    ines.goto(meeting_url)
    expect(ines.get_by_text("Vous avez répondu : oui, vous venez.")).to_be_visible()

    # The day before, `flask reminders` reminds Inès (and only once).
    now = datetime(day.year, day.month, day.day, 10, tzinfo=PARIS) - timedelta(days=1)
    runner = live_server.app.test_cli_runner()
    with live_server.app.app_context():
        for _ in range(2):
            result = runner.invoke(args=["reminders", "--now", now.isoformat()])
            assert result.exit_code == 0, result.output
    live_server.send_outbox()
    reminders = [s for s in subjects(live_server, seeded["ines"]) if "Demain" in s]
    assert reminders == ["[Toits solidaires] Demain : « Préparer le rendez-vous en mairie »"]
    assert not any("Demain" in s for s in subjects(live_server, seeded["karim"]))
    assert "Maison des associations" in SMTPSink.text(live_server.mails_to(seeded["ines"])[-1])

    # The meeting takes place (time passes), then Claire writes the minutes.
    meeting_id = int(meeting_url.rsplit("/", 1)[1])
    with live_server.app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        meeting.starts_at -= timedelta(days=4)
        meeting.ends_at -= timedelta(days=4)
        db.session.commit()
    due = (datetime.now(PARIS).date() + timedelta(days=14)).isoformat()
    claire.goto(meeting_url)
    claire.get_by_role("link", name="Rédiger le compte rendu").click()
    claire.get_by_label("Compte rendu").fill("Nous étions **deux**. La mairie nous recevra.")
    claire.get_by_role("group", name="Présents").get_by_label("Inès").check()
    first = claire.get_by_role("group", name="Décision 1")
    first.get_by_label("Décision", exact=True).fill("Écrire au maire")
    first.get_by_label("Portée par (un membre)").select_option(label="Inès")
    first.get_by_label("Échéance").fill(due)
    second = claire.get_by_role("group", name="Décision 2")
    second.get_by_label("Décision", exact=True).fill("Inscrire les enfants à l'école")
    second.get_by_label("…ou un partenaire extérieur").fill("Mairie de Clamart")
    second.get_by_label("Échéance").fill(due)
    claire.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(claire.get_by_role("status")).to_contain_text("Le compte rendu est enregistré.")
    expect(claire.get_by_role("heading", name="Compte rendu")).to_be_visible()

    # Both decisions are open on the group page; Inès marks hers done.
    ines.goto(f"/groups/{seeded['slug']}/")
    decisions = ines.get_by_role("region", name="Décisions en cours")
    expect(decisions.get_by_text("Écrire au maire")).to_be_visible()
    expect(decisions.get_by_text("Inscrire les enfants à l'école")).to_be_visible()
    expect(decisions.get_by_text("Portée par Mairie de Clamart", exact=False)).to_be_visible()
    decisions.get_by_role("button", name=re.compile("Marquer comme faite")).click()
    expect(ines.get_by_role("status")).to_contain_text("La décision est marquée comme faite.")
    decisions = ines.get_by_role("region", name="Décisions en cours")
    expect(decisions.get_by_text("Écrire au maire")).to_have_count(0)
    expect(decisions.get_by_text("Inscrire les enfants à l'école")).to_be_visible()


def test_meeting_pages_are_accessible_and_fit_a_phone(new_context, live_server):
    """axe-core finds nothing serious on the meeting pages (the coordinator's, with forms
    and the answers table), no CSP violation, and nothing wider than 375 px."""
    from tests.browser.test_accessibility import (
        BLOCKING_IMPACTS,
        RECORD_CSP_VIOLATIONS,
        _axe,
        _describe,
    )
    from tests.browser.test_phone import MEASURE, PHONE

    seeded = seed(live_server)
    with live_server.app.app_context():
        from tests import factories

        group = db.session.scalar(
            db.select(factories.Group).where(factories.Group.slug == "ldh-clamart")
        )
        upcoming = factories.make_meeting(
            group, title="Réunion avec la mairie au sujet du terrain de la N118", capacity=1
        )
        past = factories.make_meeting(group, title="Réunion passée", days=-2)
        db.session.commit()
        ids = upcoming.id, past.id
    page = new_context().new_page()
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(page, seeded["claire"])
    page.set_viewport_size(PHONE)
    answer(page, f"/meetings/{ids[0]}", "Oui")
    urls = {
        "meeting": f"/meetings/{ids[0]}",
        "new meeting": f"/groups/{seeded['slug']}/meetings/new",
        "meetings": f"/groups/{seeded['slug']}/meetings/",
        "minutes": f"/meetings/{ids[1]}/minutes",
        "group": f"/groups/{seeded['slug']}/",
        "mine": "/account/meetings",
    }
    for name, url in urls.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, name
        violations = _axe.run(page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{name}:\n{_describe(blocking)}"
        assert page.evaluate("window.__cspViolations") == [], name
        sizes = page.evaluate(MEASURE)
        assert sizes["scrollWidth"] <= PHONE["width"], f"{name}: {sizes['wide']}"
    # The new-meeting form sent empty: the errors are tied to their fields.
    page.goto(urls["new meeting"])
    page.get_by_role("button", name="Programmer la réunion").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Titre")).to_have_attribute("aria-invalid", "true")
