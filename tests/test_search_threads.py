"""Search that reads well: one result per thread at its best post, with its other matches a
link away; filters by group, author and date; the query and filters kept."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from forum.discussions import moderation
from forum.discussions import services as discussions
from forum.groups.models import Role
from forum.search import sections
from forum.search import services as search
from forum.search.threads import search_threads
from tests.factories import add_member, make_group, make_user
from tests.test_speed import statements


@pytest.fixture
def forum(db):
    anne = make_user(name="Anne Morel", username="anne")
    bruno = make_user(name="Bruno Petit", username="bruno")
    group = make_group("entraide", name="Entraide Clamart")
    other = make_group("meudon", name="Collectif de Meudon")
    housing = discussions.create_thread(anne, group, title="Hébergement d'urgence", body="Qui ?")
    replies = [
        discussions.reply(bruno, housing, body="Un hébergement chez moi samedi."),
        discussions.reply(anne, housing, body="Les hébergements du 115 sont pleins."),
    ]
    school = discussions.create_thread(bruno, other, title="École", body="Pas d'hébergement ici.")
    db.session.commit()
    return {"anne": anne, "bruno": bruno, "group": group, "other": other, "housing": housing,
            "replies": replies, "school": school}  # fmt: skip


def results(page: str) -> list[tuple[str, str]]:
    """(link, title) of each result, in order."""
    return [
        (href, html.unescape(re.sub(r"</?mark>", "", title)))
        for href, title in re.findall(
            r'<li class="search-result">\s*<h3><a href="([^"]+)">(.*?)</a></h3>', page
        )
    ]


def test_one_result_per_thread_at_its_best_post(db, forum):
    found = search_threads("hébergement")
    assert (found.total, found.posts) == (2, 4)
    best = [(r.thread.id, r.best.post.number, r.others) for r in found.items]
    # The opening post says the word in the title: it stands for its thread.
    assert best == [(forum["housing"].id, 1, 2), (forum["school"].id, 1, 0)]
    # Accents and stems as before: "hebergements" finds them all.
    assert search_threads("hebergements").posts == 4


def test_the_other_matches_of_a_thread_are_a_link_away(client, db, forum):
    housing = forum["housing"]
    page = client.get("/search?q=hébergement").get_data(as_text=True)
    assert [title for _, title in results(page)] == ["Hébergement d'urgence", "École"]
    assert "2 fils trouvés · 4 messages" in " ".join(html.unescape(page).split())
    link = re.search(r'<a href="([^"]+)">2 autres messages</a>', page).group(1)
    assert html.unescape(link) == f"/search?thread={housing.id}&q=hébergement".replace(
        "hébergement", "h%C3%A9bergement"
    )
    page = client.get(html.unescape(link)).get_data(as_text=True)
    assert "Messages du fil « Hébergement d&#39;urgence » seulement." in page
    assert "3 messages trouvés dans ce fil" in page
    posts = [href for href, _ in results(page)]
    assert len(posts) == 3 and all(f"/posts/{p.id}" in posts for p in forum["replies"])
    assert "autres messages" not in page
    # The query stays in the box, and the way back to every thread is offered.
    assert 'value="hébergement"' in page
    assert '<a href="/search?q=h%C3%A9bergement">Chercher dans tous les fils</a>' in page


def test_a_result_found_by_a_reply_lands_on_that_reply(client, db, forum):
    reply = forum["replies"][0]
    page = client.get("/search?q=samedi").get_data(as_text=True)
    [(href, title)] = results(page)
    assert href == f"/posts/{reply.id}" and title == "Hébergement d'urgence"
    assert "message n° 2" in page
    landing = client.get(href)
    assert landing.headers["Location"] == f"/threads/{reply.thread_id}?page=1#post-{reply.id}"


def test_filters_by_author_with_or_without_the_at_sign(client, db, forum):
    for handle in ("bruno", "@bruno", "@Bruno"):
        page = client.get("/search", query_string={"q": "hébergement", "author": handle})
        text = page.get_data(as_text=True)
        assert {t for _, t in results(text)} == {"Hébergement d'urgence", "École"}, handle
        assert "1 fil trouvé" not in text and "2 messages" in text  # Bruno's two posts
    page = client.get("/search", query_string={"q": "hébergement", "author": "nobody"})
    text = page.get_data(as_text=True)
    assert "Aucun membre ne s’appelle @nobody." in text
    assert 'value="nobody"' in text and results(text) == []


def test_filters_by_group_and_dates_in_paris_days(client, db, forum):
    first, second = forum["replies"]
    # 23:30 UTC on 1 March is 00:30 on 2 March in Paris.
    first.created_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    second.created_at = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    discussions.post_by_number(forum["housing"], 1).created_at = datetime(2026, 2, 1, tzinfo=UTC)
    db.session.commit()

    def found(**args) -> set[int]:
        page = search.search("hébergement", filters=search.Filters(**args), per_page=100)
        return {r.post.id for r in page.items}

    paris_2_march = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert found(since=paris_2_march, until=datetime(2026, 3, 2, 23, 0, tzinfo=UTC)) == {first.id}
    page = client.get(
        "/search",
        query_string={"q": "hébergement", "since": "2026-03-02", "until": "2026-03-02"},
    ).get_data(as_text=True)
    assert results(page) == [(f"/posts/{first.id}", "Hébergement d'urgence")]
    # The filters are kept in the box, and the filters' part is open.
    assert 'value="2026-03-02"' in page and '<details class="search-filters" open>' in page
    page = client.get("/search", query_string={"q": "hébergement", "group": "meudon"}).get_data(
        as_text=True
    )
    assert [t for _, t in results(page)] == ["École"]
    # A span that ends before it starts.
    page = client.get(
        "/search",
        query_string={"q": "hébergement", "since": "2026-03-05", "until": "2026-03-01"},
    ).get_data(as_text=True)
    assert "Cette date précède la première." in page and results(page) == []


def test_filters_are_kept_by_the_pages_and_the_other_matches(client, db, forum):
    for n in range(search.PER_PAGE + 1):
        thread = discussions.create_thread(forum["anne"], forum["group"], title=f"Troc {n}",
                                           body="Troc de livres.")  # fmt: skip
        discussions.reply(forum["anne"], thread, body="Encore un troc.")
    db.session.commit()
    page = client.get("/search?q=troc&author=anne&group=entraide").get_data(as_text=True)
    assert "/search?page=2&amp;q=troc&amp;group=entraide&amp;author=anne" in page
    assert "/search?thread=" in page and "&amp;q=troc&amp;group=entraide&amp;author=anne" in page
    assert page.count('class="search-result"') == search.PER_PAGE


def test_a_hidden_thread_has_no_other_matches_to_show(client, db, forum):
    coordinator = make_user()
    add_member(coordinator, forum["group"], Role.COORDINATOR)
    moderation.set_thread_hidden(coordinator, forum["housing"], True, "Spam")
    db.session.commit()
    url = f"/search?q=hébergement&thread={forum['housing'].id}"
    assert client.get(url).status_code == 404
    assert client.get("/search?q=x&thread=999999").status_code == 404


def test_the_page_runs_the_same_statements_whatever_it_finds(app, client, db, forum):
    def count(url: str) -> int:
        with statements(db) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    few = count("/search?q=samedi")
    for n in range(30):
        thread = discussions.create_thread(forum["anne"], forum["group"], title=f"Fil {n}",
                                           body="Samedi matin.")  # fmt: skip
        discussions.reply(forum["bruno"], thread, body="Samedi soir.")
    db.session.commit()
    # The groups, the matches, their posts, and the docuthèque's section (its matches).
    assert count("/search?q=samedi") == few == 4
    # The author's handle; documents have no author, so their section is not asked.
    assert count("/search?q=samedi&author=bruno") == 4


def test_other_features_add_sections_to_the_page(client, db, forum, monkeypatch):
    seen = []

    def documents(asked: sections.Asked):
        seen.append((asked.text, asked.group, sorted(asked.query.stems)))
        return sections.Section("search/_test_section.html", {"n": 3})

    monkeypatch.setattr(sections, "_MAKERS", [])
    sections.register_section(documents)
    sections.register_section(documents)  # once
    monkeypatch.setattr(
        client.application.jinja_loader,
        "get_source",
        _with_template(client.application.jinja_loader.get_source),
    )
    page = client.get("/search?q=hébergement").get_data(as_text=True)
    assert seen == [("hébergement", None, ["heberg"])]
    assert '<section id="test-section">3 documents</section>' in page


def _with_template(get_source):
    def source(environment, name):
        if name == "search/_test_section.html":
            text = '<section id="test-section">{{ section.context.n }} documents</section>'
            return text, None, lambda: True
        return get_source(environment, name)

    return source
