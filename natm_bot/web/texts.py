"""The public page's own words, in the language in force (the movement's texts come from data/)."""

from __future__ import annotations

from natm_bot.core.i18n import _

# Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}


def page_texts() -> dict[str, str]:
    """Every text the templates show, translated; read as `t.key` in a template."""
    return _frame_and_home() | _listings() | _decisions() | _minutes() | _statements()


def _frame_and_home() -> dict[str, str]:
    """Navigation, the home page and the meetings."""
    return {
        "home": _("Home"),
        "readings": _("Readings"),
        "groups": _("Working groups"),
        "members": _("Members"),
        "meetings": _("Meetings"),
        "languages": _("Languages"),
        "skip": _("Skip to the content"),
        "principles": _("Our principles"),
        "join": _("How to join"),
        "join_rooms": _("Talk with us in the movement's Matrix rooms:"),
        "join_help": _("In a room, type {command} to see what the bot can do for you."),
        "join_welcome": _(
            "When you first join one of them, the bot sends you a direct message in your"
            " language: reply with the numbers of the working groups you want to join."
        ),
        "join_links": _("Website: {website} · forum: {forum}"),
        "next_meeting": _("Next meeting"),
        "no_meetings": _("No meetings are planned yet."),
        "all_meetings": _("All upcoming meetings"),
        "meetings_intro": _(
            "Every time is shown in UTC and in the coalition's time zones; with JavaScript on,"
            " also in yours."
        ),
        "yours": _("your time"),
        "subscribe": _("Subscribe in your calendar app"),
        "subscribe_hint": _(
            "Add this address as a calendar subscription (not a one-off import), and changes"
            " and cancellations reach you by themselves."
        ),
        "duration": _("Duration: {minutes} min"),
    }


def _listings() -> dict[str, str]:
    """The groups, the members directory and the readings."""
    return {
        "group_calendar": _("Calendar of this group"),
        "group_members": _("Members: {count}"),
        "group_capacity": _("Members: {count} of {capacity}"),
        "group_closed": _("Closed to new members for now."),
        "group_join": _("To join, type {command} in any of the movement's rooms."),
        "no_groups": _("There are no working groups yet."),
        "members_intro": _(
            "The organisations listed as members of the movement. Search by country, category"
            " or words."
        ),
        "search": _("Search"),
        "search_label": _("Country, category or words"),
        "categories": _("Categories"),
        "found": _("{count} found"),
        "nothing_found": _("No listed organisation matches."),
        "page_of": _("Page {page} of {pages}"),
        "previous": _("Previous"),
        "next": _("Next"),
        "listed_since": _("Listed since {date}"),
        "apply": _("To list your organisation, type {command} in a room with the bot."),
        "readings_intro": _("Suggested readings about data colonialism and non-aligned tech."),
        "footer": _("This page sets no cookies and loads nothing from elsewhere."),
    }


def _decisions() -> dict[str, str]:
    """The outcomes of polls held in the public rooms (the verdicts are the chat's words)."""
    return {
        "decisions": _("Decisions"),
        "decisions_intro": _(
            "Outcomes of the polls held in the movement's public rooms, newest first: the"
            " counts only, never who voted."
        ),
        "no_decisions": _("No decisions yet."),
        "decision_closed": _("Closed {when}."),
        "decision_voted": _("{voted} of {electorate} voted"),
        "decision_blocks": _("Blocks: {count}"),
        "quorum_not_reached": _("quorum not reached ({voted}/{electorate})."),
        "blocked": _("not passed: blocked."),
        "passed": _("passed."),
        "not_passed": _("not passed."),
        "no_votes": _("no votes."),
        "tie": _("a tie between {options}."),
        "not_enough": _("{option} has the most votes but not the share needed."),
        "chosen": _("{option}."),
    }


def _minutes() -> dict[str, str]:
    """The minutes of meetings held in the public rooms (the section titles are the chat's)."""
    return {
        "minutes": _("Minutes"),
        "minutes_intro": _(
            "Minutes of the meetings announced in the movement's public rooms, newest first."
        ),
        "no_minutes": _("No minutes yet."),
        "minutes_all": _("All minutes"),
        "agenda": _("Agenda"),
        "topics": _("Topics"),
        "information": _("Information"),
        "agreed": _("Agreed"),
        "actions": _("Actions"),
        "nothing_recorded": _("Nothing was recorded."),
        "said_by": _("said by {name}"),
        "agreed_by": _("agreed, said by {name}"),
        "due": _("(due {date})"),
    }


def _statements() -> dict[str, str]:
    """The statements member organisations endorse."""
    return {
        "statements": _("Statements"),
        "statements_intro": _(
            "Statements and campaigns of the coalition, and the member organisations that"
            " endorse them."
        ),
        "statements_feed": _("Follow new statements and milestones (Atom feed)"),
        "no_statements": _("No statements yet."),
        "statement_counts": _(
            "Organisations named: {public} · not named: {private} · supporters: {supporters}"
        ),
        "statements_how": _(
            "In a room, type {support} to support it; delegates of member organisations type"
            " {endorse} to endorse it for their organisation."
        ),
        "statement_version": _("Version {version}"),
        "statement_original": _("(original: no translation in this language yet)"),
        "statement_endorsers": _("Endorsed by"),
        "statement_supporters": _("Supporters: {count}"),
    }
