"""What the members directory tells people outside the conversation: admins of a new
application, applicants of the decision (each in their own language), and how to apply."""

from __future__ import annotations

from natm_bot.core.i18n import N_, _
from natm_bot.engine.rendering import md_escape
from natm_bot.features.members.views import CategoryNames, country
from natm_bot.storage.members import Application, Organisation

APPLY_HELP = N_(
    """Fields (values with spaces go in double quotes):
- `name`: the organisation's name (2 to 120 characters)
- `category`: {categories}
- `country`: a two-letter ISO 3166 code like `KE`, or the country's name
- `website`: its web address, starting with https:// or http://
- `description`: one paragraph, at most {max} characters
- `languages` (optional): ISO 639-1 codes separated by commas, like `en,sw`
- `contact` (optional): a Matrix room or user people can write to; it is shown publicly

Example: `{prefix}members apply name="Example Community Network" category=civil-society \
country=KE website=https://example.org languages=en,sw description="Community-owned internet \
for our town."`

An admin decides, and I tell you the outcome by direct message. Until then your Matrix id \
is kept with the application; it is erased once the application is decided, unless the \
application is approved: then you become the organisation's first delegate (who votes for it \
in polls) and your Matrix id is kept for that until you or an admin remove it."""
)


def application_note(names: CategoryNames, application: Application, prefix: str) -> str:
    """For an admin: a new application is waiting."""
    info = application.info
    return _(
        "New member application #{number}: **{name}** ({country}, {category}). "
        "`{pending}` lists the applications."
    ).format(
        number=application.id,
        name=md_escape(info.name),
        country=md_escape(country(info.country)),
        category=md_escape(names.category_name(info.category)),
        pending=f"{prefix}members pending",
    )


def approved_note(org: Organisation, movement: str, prefix: str, *, delegate: bool) -> str:
    """For the applicant: the organisation is listed (and they are its first delegate)."""
    text = _(
        "Good news: **{name}** is now listed as a member organisation of the {movement}. "
        "Its card: `{card}`."
    ).format(
        name=md_escape(org.info.name),
        movement=md_escape(movement),
        card=f"{prefix}member {org.id}",
    )
    if not delegate:
        return text
    role = _(
        "You are its first delegate: you vote for it in polls where organisations vote. "
        "An admin can add other delegates; `{forget}` erases your Matrix id from this role."
    ).format(forget=f"{prefix}forgetme")
    return f"{text}\n\n{role}"


def rejected_note(application: Application, reason: str | None) -> str:
    """For the applicant: the application was turned down, and why if an admin said."""
    if reason and reason.strip():
        why = _("The reason given: {reason}").format(reason=md_escape(reason))
    else:
        why = _("No reason was given; an admin of this room can tell you more.")
    name = md_escape(application.info.name)
    return (
        _(
            "Your application for **{name}** to be listed as a member organisation was not "
            "accepted."
        ).format(name=name)
        + f" {why}"
    )
