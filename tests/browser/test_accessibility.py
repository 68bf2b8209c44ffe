"""Accessibility and page hygiene on the main pages, in a real Chromium.

On each page: axe-core finds nothing "serious" or "critical"; one <main>; the skip link is
the first stop of the Tab key and moves the focus to the content; <html lang="fr">; the
Content-Security-Policy header is sent and the browser reports no violation of it.

The pages only read: one live server, data seeded once, a visitor's tab and a member's tab
(signed in once) serve the whole module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from forum.discussions import services as discussions
from forum.reactions import services as reactions
from tests.browser.helpers import fill_register_form, sign_in

SHOTS = Path("/tmp/shots")
BLOCKING_IMPACTS = {"serious", "critical"}

# Recorded before any page script runs; CSP does not apply to init scripts.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample}
  );
});
"""

_axe = Axe()

BODIES = [
    "Le **diagnostic social** avance : six ménages reçus.\n\n> Il faut relancer la mairie.",
    "Points pour jeudi :\n\n- le terrain\n- la scolarisation\n- `dossier 12`",
    "Compte rendu sur https://example.org/compte-rendu et [la lettre](https://example.org/l).",
]


@pytest.fixture(scope="module")
def site(module_live_server) -> dict:
    """Seeded once for the module: a member of a group, and a thread of 25 posts (two
    pages) in it, one of them edited."""
    with module_live_server.seed() as f:
        member = f.make_user("membre@example.org", name="Membre")
        group = f.make_group("clamart-solidaire", name="Clamart solidaire")
        f.add_member(member, group)
        thread = discussions.create_thread(
            member, group, title="Un logement pour cet hiver", body=BODIES[0]
        )
        replies = [
            discussions.reply(member, thread, body=BODIES[n % len(BODIES)]) for n in range(1, 25)
        ]
        discussions.edit_post(member, replies[0], body=BODIES[1] + "\n\nCorrigé.")
        document = _seed_document(member, group)
        # Another member's reply, which the member thanked: reaction buttons and counts.
        neighbour = f.make_user(name="Voisine")
        theirs = discussions.reply(neighbour, thread, body="Je peux aider à la mairie.")
        reactions.toggle(member, theirs, "thanks")
        return {
            "email": member.email,
            "slug": group.slug,
            "thread": thread.id,
            "document": document.id,
            "mine": replies[1].id,
        }


def _seed_document(member, group):
    import io

    from forum.documents import services as documents
    from tests.documents_support import make_pdf

    data = documents.DocumentData(
        title="Rapport sur les bidonvilles",
        description="Le **rapport** annuel.",
        tags=["rapport"],
        visibility="public",
    )
    pdf = make_pdf(["Sommaire", "Chapitre un"])
    return documents.upload_document(member, group, data, io.BytesIO(pdf), "rapport.pdf")


@pytest.fixture(scope="module")
def tabs(open_module_tab, site) -> dict[str, Page]:
    """A visitor's tab and a member's, signed in once; both record CSP violations."""
    tabs = {"visitor": open_module_tab(), "member": open_module_tab()}
    for tab in tabs.values():
        tab.context.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(tabs["member"], site["email"])
    return tabs


def home(page: Page, site: dict) -> Response | None:
    return page.goto("/")


def login(page: Page, site: dict) -> Response | None:
    return page.goto("/auth/login")


def register(page: Page, site: dict) -> Response | None:
    return page.goto("/auth/register")


def register_with_errors(page: Page, site: dict) -> Response | None:
    page.goto("/auth/register")
    fill_register_form(
        page,
        email="pas-une-adresse",
        display_name="A",
        password="court",
        confirm="autre",
    )
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Créer mon compte").click()
    response = navigation.value
    assert response is not None and response.status == 200
    # The errors are shown, tied to their fields.
    expect(page.get_by_role("alert")).to_be_visible()
    for label in ("Adresse e-mail", "Nom affiché", "Confirmez le mot de passe"):
        expect(page.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Confirmez le mot de passe")).to_have_accessible_description(
        "Les deux mots de passe ne correspondent pas."
    )
    return response


def group(page: Page, site: dict) -> Response | None:
    return page.goto(f"/groups/{site['slug']}/")


def group_as_member(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/groups/{site['slug']}/")
    expect(page.get_by_role("button", name="Quitter le groupe")).to_be_visible()
    return response


def account(page: Page, site: dict) -> Response | None:
    response = page.goto("/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    return response


def not_found(page: Page, site: dict) -> Response | None:
    response = page.goto("/cette-page-n-existe-pas")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    return response


def thread(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/threads/{site['thread']}")
    expect(page.get_by_role("navigation", name="Pages du fil")).to_be_visible()
    return response


def thread_as_member(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/threads/{site['thread']}?page=2")
    expect(page.get_by_role("link", name="Citer").first).to_be_visible()
    expect(page.get_by_label("Votre réponse")).to_be_visible()
    expect(page.get_by_role("button", name="Merci 1")).to_have_attribute("aria-pressed", "true")
    return response


def delete_confirmation(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/posts/{site['mine']}/delete")
    expect(page.get_by_role("button", name="Supprimer le message")).to_be_visible()
    return response


def new_thread_with_errors(page: Page, site: dict) -> Response | None:
    page.goto(f"/groups/{site['slug']}/threads/new")
    with page.expect_navigation() as navigation:
        page.get_by_role("main").get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    return navigation.value


def search_results(page: Page, site: dict) -> Response | None:
    response = page.goto("/search?q=mairie")
    expect(page.locator("mark").first).to_be_visible()
    return response


def search_with_filters(page: Page, site: dict) -> Response | None:
    response = page.goto("/search?q=mairie&author=nobody&since=2026-01-01")
    expect(page.get_by_label("Écrit par")).to_have_attribute("aria-invalid", "true")
    return response


def notifications(page: Page, site: dict) -> Response | None:
    return page.goto("/notifications")


def documents(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/groups/{site['slug']}/documents/")
    expect(page.get_by_role("link", name="Rapport sur les bidonvilles")).to_be_visible()
    return response


def document_as_member(page: Page, site: dict) -> Response | None:
    response = page.goto(f"/documents/{site['document']}")
    expect(page.get_by_role("button", name="Envoyer une nouvelle version")).to_be_visible()
    return response


def new_document_with_errors(page: Page, site: dict) -> Response | None:
    page.goto(f"/groups/{site['slug']}/documents/new")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Envoyer le document").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Fichier")).to_have_attribute("aria-invalid", "true")
    return navigation.value


# Each page, and whose tab it is seen in.
PAGES: dict[str, tuple[str, Callable[[Page, dict], Response | None]]] = {
    "home": ("visitor", home),
    "login": ("visitor", login),
    "register": ("visitor", register),
    "register-with-errors": ("visitor", register_with_errors),
    "group": ("visitor", group),
    "group-as-member": ("member", group_as_member),
    "account": ("member", account),
    "404": ("visitor", not_found),
    "thread": ("visitor", thread),
    "thread-as-member": ("member", thread_as_member),
    "new-thread-with-errors": ("member", new_thread_with_errors),
    "search": ("visitor", search_results),
    "search-with-filters": ("visitor", search_with_filters),
    "delete-confirmation": ("member", delete_confirmation),
    "notifications": ("member", notifications),
    "documents": ("visitor", documents),
    "document-as-member": ("member", document_as_member),
    "new-document-with-errors": ("member", new_document_with_errors),
}
SCREENSHOTS = {"home": "home.png", "register-with-errors": "register-errors.png"}


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} node(s)]")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


@pytest.fixture
def listened(tabs):
    """The console messages and page errors of both tabs during one test."""
    console: list[ConsoleMessage] = []
    page_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        console.append(message)

    def on_error(exc) -> None:
        page_errors.append(str(exc))

    for tab in tabs.values():
        tab.on("console", on_console)
        tab.on("pageerror", on_error)
    yield console, page_errors
    for tab in tabs.values():
        tab.remove_listener("console", on_console)
        tab.remove_listener("pageerror", on_error)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible_and_keeps_its_csp(tabs, site, listened, name: str):
    console, page_errors = listened
    role, visit = PAGES[name]
    page = tabs[role]

    response = visit(page, site)
    assert response is not None, f"{name}: no response"

    # The Content-Security-Policy header is on the page itself.
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp, f"{name}: CSP header missing or weak: {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp

    # Language, landmarks.
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("main")).to_have_count(1)
    expect(page.locator("main#main")).to_have_count(1)

    if name in SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / SCREENSHOTS[name], full_page=True)

    # Tab once from the freshly loaded page: the skip link, shown on focus, leading to <main>.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({tag: document.activeElement.tagName, href: "
        "document.activeElement.getAttribute('href'), text: document.activeElement.textContent})"
    )
    assert focused["tag"] == "A" and focused["href"] == "#main", f"{name}: first Tab: {focused}"
    assert focused["text"].strip() == "Aller au contenu", focused
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    # axe-core: nothing serious or critical; the rest is reported in the message.
    results = _axe.run(page)
    violations = results.response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"{name}: {len(blocking)} serious/critical axe violation(s):\n{_describe(blocking)}"
        f"\nother violations:\n{_describe([v for v in violations if v not in blocking])}"
    )

    # No CSP violation, as the console and the securitypolicyviolation event tell it.
    csp_console = [
        m.text for m in console if "Content Security Policy" in m.text or "CSP" in m.text
    ]
    assert csp_console == [], f"{name}: CSP violations in the console: {csp_console}"
    reported = page.evaluate("window.__cspViolations")
    assert reported == [], f"{name}: securitypolicyviolation events: {json.dumps(reported)}"
    assert page_errors == [], f"{name}: page errors: {page_errors}"
    if violations:
        # Visible with -rA or on failure; minor/moderate ones do not fail the test.
        print(f"{name}: minor/moderate axe findings:\n{_describe(violations)}")


def test_form_error_summary_is_in_the_page_language(tabs, site):
    page = tabs["visitor"]
    register_with_errors(page, site)
    summary = page.get_by_role("alert").inner_text()
    assert "Certains champs sont à revoir" in summary, summary
