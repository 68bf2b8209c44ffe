"""Accessibility of the contact log's pages, in a real Chromium, as in test_accessibility.py:
axe-core finds nothing "serious" or "critical", one <main>, <html lang="fr">, the skip link
first, the Content-Security-Policy sent and never violated.

The group's list (with the indicators, as a coordinator), a keeper's own list, a household
page (a hand-over note first, contacts on three pages, the pledgers who could help), the
new-household form, and the forms that come back with their errors (a new household, a
contact, a message to a pledger naming the family), the keepers. One live server for the
module, data seeded once, one tab per person, signed in once.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from forum.contactlog import casework
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import (
    BLOCKING_IMPACTS,
    RECORD_CSP_VIOLATIONS,
    _axe,
    _describe,
)

PSEUDONYM = "Famille Capucine"


@pytest.fixture(scope="module")
def site(module_live_server) -> dict:
    """A group with a coordinator and two keepers; a household of 45 contacts with an open
    health need, handed over to the keeper; a translator's pledge to the group's project."""
    with module_live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        claire = f.make_user("claire@example.org", name="Claire")
        karim = f.make_user("karim@example.org", name="Karim")
        bruno = f.make_user("bruno@example.org", name="Bruno")
        f.add_member(claire, group, "coordinator")
        f.add_member(karim, group, "keeper")
        f.add_member(bruno, group, "keeper")
        f.add_member(f.make_user("membre@example.org", name="Membre"), group)
        project = f.make_project(groups_taking_part=[group])
        ioana = f.make_user("ioana@example.org", name="Ioana")
        f.make_pledge(ioana, project, help_kinds=("translation",), availability=("weekends",))
        household = f.make_household(group, bruno, pseudonym=PSEUDONYM)
        for n in range(44, 0, -1):
            f.log_contact(household, bruno, days_ago=n * 3, summary=f"Visite numéro {n}.")
        f.log_contact(household, bruno, summary="Rendez-vous PMI à prévoir.", needs=["health"])
        f.log_contact(household, bruno, outcome="no_answer", channel="phone")
        casework.reassign(
            claire, household, referent_ids=[karim.id], note="Appeler le soir, après 18 h."
        )
        f.make_household(group, karim, pseudonym="Famille Glycine")
        return {"slug": group.slug, "household": household.public_id}


@pytest.fixture(scope="module")
def tabs(open_module_tab, site) -> dict[str, Page]:
    tabs = {"coordinator": open_module_tab(), "keeper": open_module_tab()}
    for tab in tabs.values():
        tab.context.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(tabs["coordinator"], "claire@example.org")
    sign_in(tabs["keeper"], "karim@example.org")
    return tabs


def _log(site: dict) -> str:
    return f"/groups/{site['slug']}/households/"


def list_with_indicators(page: Page, site: dict) -> Response | None:
    response = page.goto(_log(site))
    expect(page.get_by_role("heading", name="Indicateurs")).to_be_visible()
    return response


def my_households(page: Page, site: dict) -> Response | None:
    response = page.goto(_log(site) + "?mine=1")
    expect(page.get_by_role("link", name=PSEUDONYM)).to_be_visible()
    return response


def household(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/households/{site['household']}")
    expect(page.get_by_role("heading", name="Note de passation : à lire d’abord")).to_be_visible()
    expect(page.get_by_role("navigation", name="Pages de contacts")).to_be_visible()
    return response


def household_older_contacts(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/households/{site['household']}?page=3")
    expect(page.get_by_text("Visite numéro 44.")).to_be_visible()
    return response


def household_as_coordinator(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/households/{site['household']}")
    expect(page.get_by_text("Référents et passation")).to_be_visible()
    return response


def helpers(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/households/{site['household']}?match=health")
    expect(page.locator("#helpers")).to_contain_text("Ioana")
    return response


def helper_message_refused(page: Page, site: dict) -> Response | None:
    page.goto(f"/households/{site['household']}?match=health")
    page.get_by_text("Écrire à Ioana").click()
    page.get_by_label("Votre message").fill("Pourriez-vous venir avec la famille Capucine ?")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Envoyer par le site").click()
    expect(page.get_by_label("Votre message")).to_have_attribute("aria-invalid", "true")
    assert navigation.value is not None and navigation.value.status == 400
    return navigation.value


def new_household(page: Page, site: dict) -> Response | None:
    response = page.goto(_log(site) + "new")
    expect(page.get_by_label("Pseudonyme")).to_be_visible()
    return response


def new_household_with_errors(page: Page, site: dict) -> Response | None:
    page.goto(_log(site) + "new")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Enregistrer le ménage").click()
    expect(page.get_by_role("alert")).to_be_visible()
    return navigation.value


def contact_with_errors(page: Page, site: dict) -> Response | None:
    page.goto(f"/households/{site['household']}")
    page.get_by_label("Date", exact=True).fill("2099-01-01")
    page.get_by_label("Résumé").fill("Visite prévue.")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Noter", exact=True).click()
    expect(page.get_by_label("Date", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Résumé")).to_have_value("Visite prévue.")
    return navigation.value


def keepers(page: Page, site: dict) -> Response | None:
    return page.goto(_log(site) + "keepers")


PAGES: dict[str, tuple[str, Callable[[Page, dict], Response | None]]] = {
    "list-with-indicators": ("coordinator", list_with_indicators),
    "my-households": ("keeper", my_households),
    "household": ("keeper", household),
    "household-older-contacts": ("keeper", household_older_contacts),
    "household-as-coordinator": ("coordinator", household_as_coordinator),
    "helpers": ("keeper", helpers),
    "helper-message-refused": ("keeper", helper_message_refused),
    "new-household": ("keeper", new_household),
    "new-household-with-errors": ("keeper", new_household_with_errors),
    "contact-with-errors": ("keeper", contact_with_errors),
    "keepers": ("coordinator", keepers),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_contact_log_page_is_accessible_and_keeps_its_csp(tabs, site, name: str):
    role, visit = PAGES[name]
    page = tabs[role]
    console: list[ConsoleMessage] = []
    page_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        console.append(message)

    def on_error(exc) -> None:
        page_errors.append(str(exc))

    page.on("console", on_console)
    page.on("pageerror", on_error)
    try:
        response = visit(page, site)
        assert response is not None, f"{name}: no response"
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp, csp
        assert response.headers.get("cache-control") == "no-store", name
        assert page.locator("html").get_attribute("lang") == "fr"
        expect(page.locator("main#main")).to_have_count(1)

        page.keyboard.press("Tab")
        skip_link = page.locator("a.skip-link")
        expect(skip_link).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()

        violations = _axe.run(page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, (
            f"{name}: {len(blocking)} serious/critical axe violation(s):\n{_describe(blocking)}"
        )
        reported = page.evaluate("window.__cspViolations")
        assert reported == [], f"{name}: securitypolicyviolation events: {json.dumps(reported)}"
        assert page_errors == [], f"{name}: page errors: {page_errors}"
        if violations:
            print(f"{name}: minor/moderate axe findings:\n{_describe(violations)}")
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_error)
