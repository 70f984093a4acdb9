"""The custodian's HTTP interface: a plain WSGI application, JSON in and out.

    GET  /v1/key        {"suite", "mode", "public_key"}             (public, cacheable)
    POST /v1/evaluate   {"requester", "blinded": [b64...]}  →  {"evaluated": [b64...], "proof": b64}
    GET  /v1/witness/key  {"public_key": hex}                       (public, cacheable)
    POST /v1/witness      {"head": "<signed tree head message>", "log_key": hex, "signature": hex,
                           "old_size": n, "proof": [b64...]}
                          → {"witness_key": hex, "timestamp": t, "cosignature": hex}
                          or 409 {"error", "size"}: the last size this witness countersigned
    GET  /v1/witness/heads {"heads": [{"origin", "size", "root", "log_key"}...]}  (what it countersigned last, per log)
    GET  /healthz       "ok"

``/v1/evaluate``, ``/v1/witness`` and ``/v1/witness/heads`` need ``Authorization: Bearer <token>`` when a token is configured:
only the platform may ask, and it names the (pseudonymous) member it asks for so the
custodian can limit each one. Elements are standard base64 of their 32-byte encodings.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import logging
import socketserver
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput
from chorus.crypto.tree_head import TreeHead
from chorus.custodian.service import Custodian, RateLimited
from chorus.custodian.witness import Witness, WitnessRefused

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


def _unhex(text: object, size: int) -> bytes:
    try:
        value = bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        value = b""
    if len(value) != size:
        raise MalformedInput(f"expected {size} bytes in hex")
    return value


def make_app(
    custodian: Custodian, *, token: str | None, witness: Witness | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    expected = f"Bearer {token}".encode() if token else None

    def authorized(environ: dict[str, Any]) -> bool:
        given = environ.get("HTTP_AUTHORIZATION", "").encode()
        return expected is None or hmac.compare_digest(given, expected)

    def _witness_key(witness: Witness, _environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return _reply(start_response, "200 OK", {"public_key": witness.public_key.hex()})

    def _witness_heads(witness: Witness, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Behind the token: the sizes of every organization's log show how active each one is.
        if not authorized(environ):
            return _reply(start_response, "401 Unauthorized", {"error": "a valid bearer token is needed"})
        heads = [
            {"origin": origin, "size": size, "root": b64(root), "log_key": key.hex()}
            for origin, (size, root, key) in witness.heads().items()
        ]
        return _reply(start_response, "200 OK", {"heads": heads})

    def _witness(witness: Witness, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not authorized(environ):
            return _reply(start_response, "401 Unauthorized", {"error": "a valid bearer token is needed"})
        try:
            request = _read_json(environ)
            if not isinstance(request, dict) or not isinstance(request.get("head"), str):
                raise MalformedInput('send {"head", "log_key", "signature", "old_size", "proof"}')
            head = TreeHead.from_message(request["head"].encode("ascii", errors="replace"))
            old_size = request.get("old_size")
            proof = request.get("proof")
            if isinstance(old_size, bool) or not isinstance(old_size, int) or not isinstance(proof, list):
                raise MalformedInput("old_size is a whole number and proof a list")
            cosignature = witness.cosign(
                head,
                log_key=_unhex(request.get("log_key"), 32),
                signature=_unhex(request.get("signature"), 64),
                old_size=old_size,
                proof=[unb64(node) for node in proof],
            )
        except MalformedInput as error:
            return _reply(start_response, "400 Bad Request", {"error": str(error)})
        except WitnessRefused as refused:
            logger.warning("custodian: witness refused a tree head")
            return _reply(start_response, "409 Conflict", {"error": str(refused), "size": refused.size})
        return _reply(
            start_response,
            "200 OK",
            {
                "witness_key": cosignature.witness_key.hex(),
                "timestamp": cosignature.timestamp,
                "cosignature": cosignature.signature.hex(),
            },
        )

    def _evaluate(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not authorized(environ):
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

    def health(_environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return _reply(start_response, "200 OK", "ok")

    def key(_environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = {"suite": oprf.SUITE.decode(), "mode": "VOPRF", "public_key": b64(custodian.public_key)}
        return _reply(start_response, "200 OK", body)

    routes: dict[tuple[str, str], Callable[[dict[str, Any], StartResponse], Iterable[bytes]]] = {
        ("/healthz", "GET"): health,
        ("/v1/key", "GET"): key,
        ("/v1/evaluate", "POST"): _evaluate,
    }
    if witness is not None:
        routes[("/v1/witness/key", "GET")] = functools.partial(_witness_key, witness)
        routes[("/v1/witness", "POST")] = functools.partial(_witness, witness)
        routes[("/v1/witness/heads", "GET")] = functools.partial(_witness_heads, witness)
    paths = {path for path, _ in routes}

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        route = routes.get((path, environ.get("REQUEST_METHOD", "GET")))
        if route is not None:
            return route(environ, start_response)
        if path in paths:
            return _reply(start_response, "405 Method Not Allowed", {"error": "method not allowed"})
        return _reply(start_response, "404 Not Found", {"error": "not found"})

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
