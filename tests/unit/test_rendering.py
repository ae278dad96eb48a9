"""Replies in two forms: HTML for clients, plain text for notifications and bridges."""

from __future__ import annotations

from natm_bot.engine.rendering import html_to_text, md_escape, render


def test_lists_keep_their_numbers_and_bullets_in_plain_text() -> None:
    rendered = render("**Title**\n\n1. one\n2. two\n\n- a\n- b")
    assert rendered.body == "Title\n\n1. one\n2. two\n\n• a\n• b"
    assert "<strong>Title</strong>" in rendered.html


def test_links_show_their_target_in_plain_text() -> None:
    assert render("[site](https://x.org)").body == "site <https://x.org>"
    assert render("<https://x.org>").body == "https://x.org"


def test_user_text_is_shown_literally() -> None:
    hostile = "<img src=x onerror=alert(1)> [click](https://evil) **bold** @room `code`"
    rendered = render("You said: " + md_escape(hostile))
    assert "<img" not in rendered.html and "<a " not in rendered.html
    assert "<strong>" not in rendered.html and "<code>" not in rendered.html
    assert rendered.body == "You said: " + hostile


def test_raw_html_in_markdown_is_never_passed_through() -> None:
    rendered = render("<script>alert(1)</script>")
    assert "<script>" not in rendered.html
    assert html_to_text(rendered.html) == "<script>alert(1)</script>"
