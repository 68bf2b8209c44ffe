"""A newcomer's first journey, in French, through a real Chromium and a real mail server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import fill_register_form, header, sign_in

NEW_PASSWORD = "une phrase que je retiens 47"


def seed_group(live_server) -> tuple[str, str]:
    with live_server.seed() as f:
        commune = f.make_commune("92023", "Clamart", "92")
        group = f.make_group("clamart-solidaire", name="Clamart solidaire", commune=commune)
        return group.slug, group.name


def register_and_verify(page: Page, live_server, email: str, display_name: str) -> None:
    """Home → "Créer un compte" → form → "check your mail" → mailed link → confirmed."""
    page.goto("/")
    expect(page).to_have_title(re.compile("Accueil"))
    header(page).get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")

    fill_register_form(page, email=email, display_name=display_name, password=NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page).to_have_url(live_server.url + "/auth/register/sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")

    # Nothing leaves before the outbox runs (OUTBOX_SEND_INLINE is off).
    assert live_server.mails_to(email) == []
    output = live_server.send_outbox()
    assert "sent 1," in output, output
    mails = live_server.mails_to(email)
    assert len(mails) == 1
    assert mails[0]["Subject"] == "[Toits solidaires] Confirmez votre adresse e-mail"
    link = live_server.link_in_mail(email, "/auth/verify/")

    page.goto(link)
    expect(page).to_have_url(live_server.url + "/auth/login")
    expect(page.get_by_role("status")).to_contain_text("votre adresse e-mail est confirmée")


def test_newcomer_registers_confirms_joins_a_group_and_signs_out(page: Page, live_server):
    slug, group_name = seed_group(live_server)
    email = "camille@example.org"

    register_and_verify(page, live_server, email, "Camille")

    # Sign in through the login form the verification link led to.
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(header(page).get_by_role("link", name="Camille")).to_be_visible()
    expect(page.get_by_text("pas encore confirmée")).to_have_count(0)

    # The group, from the home page list.
    page.get_by_role("link", name=group_name).click()
    expect(page).to_have_url(f"{live_server.url}/groups/{slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(group_name)
    page.get_by_role("button", name="Rejoindre le groupe").click()

    expect(page).to_have_url(f"{live_server.url}/groups/{slug}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"Vous êtes maintenant membre de {group_name}."
    )
    expect(page.get_by_text("Vous êtes membre de ce groupe.")).to_be_visible()
    expect(page.get_by_role("button", name="Quitter le groupe")).to_be_visible()
    expect(page.get_by_role("button", name="Rejoindre le groupe")).to_have_count(0)

    # Sign out with the header button.
    header(page).get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
    expect(header(page).get_by_role("link", name="Se connecter")).to_be_visible()
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_have_count(0)

    # Only the one verification mail went out.
    assert len(live_server.smtp.messages) == 1


def test_register_and_sign_in_work_without_javascript(new_context, live_server):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    email = "sans-js@example.org"

    register_and_verify(page, live_server, email, "Dominique")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(header(page).get_by_role("link", name="Dominique")).to_be_visible()
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()


XSS_NAME = "<img src=x onerror=alert(1)>"

TRAP_DIALOGS = """
window.__dialogs = 0;
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function () { window.__dialogs += 1; };
}
"""


@pytest.mark.parametrize(
    "bypass_csp", [False, True], ids=["with-csp", "escaping-alone-without-csp"]
)
def test_script_in_a_display_name_stays_inert(new_context, live_server, bypass_csp):
    """The name shows as text; no dialog, no <img>, no request for `x`.

    With bypass_csp the browser ignores the Content-Security-Policy, so the second run
    proves the escaping alone is enough.
    """
    with live_server.seed() as f:
        user = f.make_user("mallory@example.org", name=XSS_NAME)
        group = f.make_group("groupe-test", name="Groupe test")
        f.add_member(user, group, "coordinator")
        email, slug = user.email, group.slug

    context = new_context(bypass_csp=bypass_csp)
    context.add_init_script(TRAP_DIALOGS)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    image_requests: list[str] = []
    page.on(
        "request",
        lambda r: image_requests.append(r.url) if r.url.endswith("/x") else None,
    )

    sign_in(page, email)
    for path in ("/", "/account/", f"/groups/{slug}/"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        expect(header(page).get_by_role("link", name=XSS_NAME)).to_be_visible()
        if path == "/account/":
            expect(page.get_by_label("Nom affiché")).to_have_value(XSS_NAME)
        else:
            expect(page.get_by_role("main").get_by_text(XSS_NAME)).to_have_count(
                1 if path.startswith("/groups/") else 0  # listed among the coordinators
            )
        assert page.locator("img[src='x']").count() == 0, path
        assert page.evaluate("window.__dialogs") == 0, path
    assert dialogs == []
    assert image_requests == []


def test_a_visitor_switches_to_english_and_back(page: Page, live_server):
    """The visitor's language form carries no token: Chromium's Origin header lets it in."""
    page.goto("/auth/login")
    footer = page.get_by_role("contentinfo")
    footer.get_by_label("Langue").select_option("en")
    footer.get_by_role("button", name="Changer").click()
    expect(page).to_have_url(live_server.url + "/auth/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    footer.get_by_label("Language").select_option("fr")
    footer.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
