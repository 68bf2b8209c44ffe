"""Steps the browser tests share, written the way a visitor sees the French pages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def header(page: Page):
    """The site header (the page's only top-level <header>, role banner)."""
    return page.get_by_role("banner")


def fill_register_form(
    page: Page, *, email: str, display_name: str, password: str, confirm: str | None = None
) -> None:
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Nom affiché").fill(display_name)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le mot de passe").fill(password if confirm is None else confirm)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, from wherever the page is."""
    page.goto("/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()


def either(*labels: str) -> re.Pattern[str]:
    """An accessible name in any of its wordings: the English source string and its French
    translations (a string not translated yet shows in English)."""
    return re.compile(r"^\s*(?:" + "|".join(map(re.escape, labels)) + r")\s*$", re.IGNORECASE)


# Replaces the dialogs a script could open with a counter (read window.__dialogs), and
# records Content-Security-Policy violations (window.__csp): a blocked inline script means
# markup got through that should not have.
TRAP_DIALOGS = """
window.__dialogs = 0;
window.__csp = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function () { window.__dialogs += 1; };
}
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
