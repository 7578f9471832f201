"""The operator's workstation on the appeal: how an applicant came in and the details
they gave (``SubmitAppealInput.contact``, ``Appeal.contact``)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from vmeste.platform.appeals import contacts, desk_models, models

ContactMode = strawberry.enum(desk_models.ContactMode, name="ContactMode")


@strawberry.input(description="The operator channel: how the applicant came and their details "
                              "as given. Without onBehalfOfSubject the applicant is known by "
                              "these alone and gets a claim code.")
class AppealContactInput:
    mode: ContactMode  # type: ignore[valid-type]
    name: str
    phone: str = ""
    email: str = strawberry.field(default="", description="Where the filing notice and its "
                                                          "claim code are sent.")
    postal_address: str = ""

    def details(self) -> contacts.ContactDetails:
        return contacts.ContactDetails(mode=self.mode, name=self.name, phone=self.phone,
                                       email=self.email, postal_address=self.postal_address)


@strawberry.type(description="How the applicant came and their details as given: in full for "
                             "the responsible body's staff and the applicant, masked for "
                             "everyone else.")
class AppealContact:
    mode: ContactMode  # type: ignore[valid-type]
    name: str
    phone: str
    email: str
    postal_address: str
    masked: bool
    claim_code: str | None = strawberry.field(
        description="For the body's staff to pass on, until the applicant claims the appeal.")
    claim_expires_at: datetime | None


async def appeal_contact(info: strawberry.Info, row: models.Appeal) -> AppealContact | None:
    if row.channel != models.Channel.OPERATOR:
        return None
    found = await info.context.loaders.appeal_contact.load(row.id)
    if found is None:
        return None
    contact, claim = found
    principal = info.context.principal
    staff = await contacts.staff_sees(principal, row)
    if not staff and (principal.user is None or principal.user.id != row.applicant_id):
        return AppealContact(
            mode=contact.mode, name=contacts.masked_name(contact.name),
            phone=contacts.masked_phone(contact.phone), email=contacts.masked_email(contact.email),
            postal_address=contacts.masked_address(contact.postal_address), masked=True,
            claim_code=None, claim_expires_at=None)
    return AppealContact(
        mode=contact.mode, name=contact.name, phone=contact.phone, email=contact.email,
        postal_address=contact.postal_address, masked=False,
        claim_code=claim.code if claim is not None and staff else None,
        claim_expires_at=claim.expires_at if claim is not None and staff else None)


async def load_contacts(appeal_ids: list[int]
                        ) -> list[tuple[desk_models.AppealContact,
                                        desk_models.AppealClaim | None] | None]:
    """Each appeal's details and its open claim, in two queries for a page."""
    found = {c.appeal_id: c for c in await desk_models.AppealContact.filter(
        appeal_id__in=appeal_ids)}
    claims = {c.appeal_id: c for c in await desk_models.AppealClaim.filter(
        appeal_id__in=list(found), claimed_at__isnull=True)}
    return [(found[pk], claims.get(pk)) if pk in found else None for pk in appeal_ids]
