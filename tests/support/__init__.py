"""What the tests share, apart from fixtures (those are in the conftest files):

- ``factories``: small builders for test data (users, cities, signatures, the Manifesto);
- ``auth``: logging in and out on a test client (``AuthActions``, the ``auth`` fixture);
- ``browser``: logging in and out in a real browser (Playwright), and its flashed messages;
- ``signing``: driving the sign form as a browser would, and reading the e-mails it sends;
- ``outreach``: ambassador cities with their ambassador, activities, attribution;
- ``api``: a small campaign with something of every kind to hide, and checks against the
  OpenAPI document;
- ``served``: a request read after the app has returned, as a WSGI server reads it;
- ``network``: a free port on localhost;
- ``database``: each test's database (a template copied on SQLite, emptied in place on
  PostgreSQL), and one of its own for each server the tests start.

Helpers live here rather than in test modules, so that a test needing one does not import
another test module (with its fixtures, and its tests under a second name).
"""
