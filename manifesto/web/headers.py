"""The headers of answers no shared cache may keep, written once.

``PRIVATE``: what one signed-in person sees (their name, a form token, personal data): for
their browser only, and not kept on disk. ``security.py`` gives it to every answer to a
signed-in person that does not say otherwise; the ambassador's pages add it for everyone.

``SECRET_LINK``: the pages a link that is itself the credential opens (confirm a signature,
manage it, set a password) and the forms that take a password: kept nowhere, and the link
never passed on to another site in a ``Referer``.
"""

PRIVATE = {"Cache-Control": "private, no-store"}
SECRET_LINK = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
