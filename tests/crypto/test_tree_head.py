"""The signed tree head's bytes: one encoding per tree head, a C2SP checkpoint body inside."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto.errors import MalformedInput
from chorus.crypto.tree_head import LARGEST, TreeHead

ROOT = bytes(range(32))
HEAD = TreeHead(origin="chorus.example.org/ledger/platform", size=20852163, root_hash=ROOT, timestamp=1679315147)

origins = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="+"), min_size=1, max_size=255
)
numbers = st.integers(0, LARGEST)


def test_the_message_is_the_checkpoint_body_behind_a_header_and_a_time() -> None:
    root = base64.b64encode(ROOT).decode()
    assert root == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert HEAD.checkpoint_body() == f"chorus.example.org/ledger/platform\n20852163\n{root}\n".encode()
    assert HEAD.message() == b"chorus-tree-head/v1\ntime 1679315147\n" + HEAD.checkpoint_body()


def test_an_empty_tree_at_the_epoch() -> None:
    head = TreeHead(origin="o", size=0, root_hash=ROOT, timestamp=0)
    assert head.message().split(b"\n")[:4] == [b"chorus-tree-head/v1", b"time 0", b"o", b"0"]


@settings(max_examples=200, deadline=None)
@given(origin=origins, size=numbers, root_hash=st.binary(min_size=32, max_size=32), timestamp=numbers)
def test_it_round_trips(origin: str, size: int, root_hash: bytes, timestamp: int) -> None:
    head = TreeHead(origin=origin, size=size, root_hash=root_hash, timestamp=timestamp)
    assert TreeHead.from_message(head.message()) == head


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.replace(b"time 1679315147", b"time 01679315147"),
        lambda m: m.replace(b"\n20852163\n", b"\n020852163\n"),
        lambda m: m.replace(b"\n20852163\n", b"\n+20852163\n"),
        lambda m: m.replace(b"\n20852163\n", b"\n9007199254740992\n"),  # 2**53
        lambda m: m.replace(b"chorus-tree-head/v1", b"chorus-tree-head/v2"),
        lambda m: m.replace(b"time ", b"time  "),
        lambda m: m.replace(b"\n", b"\r\n"),
        lambda m: m + b"extension\n",
        lambda m: m[:-1],
        lambda m: m.replace(b"platform", b"plat form"),
        lambda m: m.replace(b"platform", b"plat+form"),
        lambda m: m.replace(b"platform", "platförm".encode()),
        lambda m: m.replace(b"Hh8=", b"Hh9="),  # the same 32 bytes, not in canonical base64
        lambda m: m.replace(b"Hh8=", b"Hh8"),
        lambda m: m.replace(b"AAECAwQF", b"AAECAwQ_"),
        lambda m: m.replace(b"AAECAwQF", b""),
    ],
)
def test_it_refuses_any_other_encoding(change: Callable[[bytes], bytes]) -> None:
    message = change(HEAD.message())
    assert message != HEAD.message()
    with pytest.raises(MalformedInput):
        TreeHead.from_message(message)


def test_it_refuses_what_the_browser_could_not_rebuild() -> None:
    for fields in (
        {"origin": ""},
        {"origin": "a\nb"},
        {"origin": "x" * 256},
        {"size": -1},
        {"size": LARGEST + 1},
        {"timestamp": True},
        {"root_hash": ROOT[:31]},
    ):
        with pytest.raises(MalformedInput):
            TreeHead(**{"origin": "o", "size": 1, "root_hash": ROOT, "timestamp": 1, **fields})  # type: ignore[arg-type]
