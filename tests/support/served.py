"""A request served as a WSGI server serves it, for the in-process tests of streamed bodies.

The fixtures keep an app context pushed for the whole test, and the test client opens each
request in one more; under either, ``db.session`` outlives the request and a streamed body
read after the view has returned still finds it. A real server has neither: the view returns,
Flask tears the contexts down (removing the session), and only then is the body read. So
this runs the request in a thread of its own (no context of the test's) and reads the body
there, after the app has returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask.testing import EnvironBuilder, FlaskClient
from werkzeug.test import Client, TestResponse


def served(client: FlaskClient, path: str, method: str = "GET",
           read: Callable[[TestResponse], bytes] | None = None,
           **kwargs) -> tuple[TestResponse, bytes]:
    """(the response, its body as ``read`` took it: all of it by default). ``client``'s
    cookies go with the request (a logged-in session, say)."""
    result: dict = {}

    def run() -> None:
        try:
            builder = EnvironBuilder(client.application, path, method=method, **kwargs)
            try:
                request = builder.get_request()
            finally:
                builder.close()
            # werkzeug's open, not Flask's: no app context is pushed around the request.
            response = Client.open(client, request, buffered=False)
            try:
                result["body"] = read(response) if read else response.get_data()
            finally:
                response.close()
            result["response"] = response
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if "error" in result:
        raise result["error"]
    return result["response"], result["body"]


def first_chunks(n: int) -> Callable[[TestResponse], bytes]:
    """A ``read`` that takes the first ``n`` chunks of the body and hangs up."""

    def read(response: TestResponse) -> bytes:
        chunks = iter(response.response)
        return b"".join(next(chunks) for _ in range(n))

    return read
