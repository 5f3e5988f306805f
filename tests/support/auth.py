"""Logging in and out on a test client: the ``auth`` fixture (``tests/conftest.py``) is one
of these on the test's ``client``; a test with clients of its own makes its own.

``login`` goes through the login form, as a person does (the password is checked, the
throttles count, the answer is returned for the test to look at); ``login_as`` writes the
session Flask-Login reads, for tests about what a signed-in user may do, not about logging in.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from manifesto.models import Role, User
from tests.support import factories


class AuthActions:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, user_or_email: User | str, password: str = factories.PASSWORD,
              lang: str = "en", **kwargs):
        """POST the login form in ``lang`` (``kwargs`` go to the test client's ``post``:
        ``follow_redirects``, ``environ_base``...); returns the response."""
        email = user_or_email.email if isinstance(user_or_email, User) else user_or_email
        return self.client.post(f"/{lang}/login", data={"email": email, "password": password},
                                **kwargs)

    def login_as(self, who: Role | User = Role.COORDINATOR, **values) -> User:
        """Sign ``who`` in without the form: a user, or a new one with this role (made by
        ``factories.user`` with ``values``). Returns the user."""
        user = who if isinstance(who, User) else factories.user(role=who, **values)
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    def logout(self, lang: str = "en", **kwargs):
        """POST the logout button's form; returns the response."""
        return self.client.post(f"/{lang}/logout", **kwargs)
