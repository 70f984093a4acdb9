"""The custodian's HTTP interface: a plain WSGI application, JSON in and out.

    GET  /v1/key        {"suite", "mode", "public_key"}             (public, cacheable)
    POST /v1/evaluate   {"requester", "blinded": [b64...]}  →  {"evaluated": [b64...], "proof": b64}
    GET  /healthz       "ok"

``/v1/evaluate`` needs ``Authorization: Bearer <token>`` when a token is configured:
only the platform may ask, and it names the (pseudonymous) member it asks for so the
custodian can limit each one. Elements are standard base64 of their 32-byte encodings.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import socketserver
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput
from chorus.custodian.service import Custodian, RateLimited

logger = logging.getLogger("chorus.custodian")

MAX_BODY = 8 * 1024
StartResponse = Callable[..., Any]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise MalformedInput("elements are base64 strings")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MalformedInput("elements are base64 strings") from error


def _reply(start_response: StartResponse, status: str, body: object, *headers: tuple[str, str]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *headers,
        ],
    )
    return [data]


def _read_json(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as error:
        raise MalformedInput("a bad Content-Length") from error
    if length <= 0 or length > MAX_BODY:
        raise MalformedInput(f"the body is JSON of at most {MAX_BODY} bytes")
    try:
        return json.loads(environ["wsgi.input"].read(length))
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedInput("the body is not JSON") from error


def make_app(custodian: Custodian, *, token: str | None) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    expected = f"Bearer {token}".encode() if token else None

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            return _reply(start_response, "200 OK", "ok")
        if path == "/v1/key" and method == "GET":
            body = {"suite": oprf.SUITE.decode(), "mode": "VOPRF", "public_key": b64(custodian.public_key)}
            return _reply(start_response, "200 OK", body)
        if path == "/v1/evaluate" and method == "POST":
            return _evaluate(environ, start_response)
        if path in {"/healthz", "/v1/key", "/v1/evaluate"}:
            return _reply(start_response, "405 Method Not Allowed", {"error": "method not allowed"})
        return _reply(start_response, "404 Not Found", {"error": "not found"})

    def _evaluate(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        given = environ.get("HTTP_AUTHORIZATION", "").encode()
        if expected is not None and not hmac.compare_digest(given, expected):
            return _reply(start_response, "401 Unauthorized", {"error": "a valid bearer token is needed"})
        try:
            request = _read_json(environ)
            if not isinstance(request, dict) or not isinstance(request.get("blinded"), list):
                raise MalformedInput('send {"requester": ..., "blinded": [...]}')
            blinded = [unb64(element) for element in request["blinded"]]
            evaluated, proof = custodian.evaluate(request.get("requester"), blinded)  # type: ignore[arg-type]
        except MalformedInput as error:
            return _reply(start_response, "400 Bad Request", {"error": str(error)})
        except RateLimited as error:
            logger.warning("custodian: evaluation limit reached")
            return _reply(
                start_response, "429 Too Many Requests", {"error": str(error)}, ("Retry-After", str(error.retry_after))
            )
        return _reply(start_response, "200 OK", {"evaluated": [b64(e) for e in evaluated], "proof": b64(proof)})

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        logger.info("custodian: %s", format % args)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(
    app: Callable[..., Iterable[bytes]], host: str, port: int, *, ready: Callable[[int], None] | None = None
) -> None:
    """Serve until interrupted. ``ready`` receives the bound port (useful with port 0)."""
    with make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler) as server:
        if ready is not None:
            ready(server.server_port)
        server.serve_forever()
