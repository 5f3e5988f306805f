"""The web layer: everything that knows about HTTP.

The blueprints, one per audience, each with its URL prefix, decorator and headers:
``public``, ``sign``, ``auth``, ``coordinate``, ``ambassador``, ``api``, ``health`` and
``errors``. They do not import each other; what they share is the kit beside them:
``security`` (who is signed in, the role decorators, the response headers, the one reader of
the client's address), ``forms`` and ``fields`` (the base forms, every shared field and
validator), ``pagination``, ``headers``, ``sessions`` (the session cookie's rules),
``response_cache`` (WSGI middleware) and ``charts`` (the dashboard's SVG geometry).

Routes are thin: they read a form, call one domain function, and redirect or render.
Nothing below this package imports it.
"""
