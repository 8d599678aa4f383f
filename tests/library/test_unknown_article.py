"""One unknown-article error, worded by where the id was looked for; a 404 either way. Fast: no model."""

from __future__ import annotations

from assistant.library.errors import IDS_IN_MESSAGES, UnknownArticle


def test_the_library_lists_every_id_or_says_how_to_add_one():
    error = UnknownArticle.in_library("riverside", ["lakeshore-birds", "night-trains"])
    listed = "the ids there are: lakeshore-birds, night-trains"
    assert str(error) == f"no article 'riverside' in the library; {listed}"
    empty = UnknownArticle.in_library("riverside", [])
    assert str(empty).endswith("the ids there are: none (add one with `assistant add FILE`)")
    assert error.article_id == "riverside" and error.http_status == 404


def test_a_server_names_a_few_ids_and_where_the_rest_are():
    known = [f"article-{n}" for n in range(IDS_IN_MESSAGES + 2)]
    error = UnknownArticle.not_served("riverside", known)
    named = ", ".join(known[:IDS_IN_MESSAGES])
    assert str(error) == (
        f"no article 'riverside' is served here; known ids: {named} and 2 more "
        "(GET /api/articles lists them all)"
    )
    assert error.article_id == "riverside" and error.http_status == 404
