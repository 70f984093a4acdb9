"""The bytes a tree head is signed as, rebuilt byte for byte by the browser (js/merkle.js).

The tree itself is described by a C2SP checkpoint body (https://c2sp.org/tlog-checkpoint):

    <origin>\\n
    <tree size, ASCII decimal, no leading zeros>\\n
    <root hash, standard base64 with padding (44 characters)>\\n

and the log signs that body behind a header line and a time line, the layout of C2SP's
Ed25519 cosignature message (https://c2sp.org/tlog-cosignature) with a header of our own:

    chorus-tree-head/v1\\n
    time <POSIX seconds, ASCII decimal, no leading zeros>\\n
    <checkpoint body>

The time stays out of the body, so the body is a plain three-line checkpoint that an
independent witness can cosign as is: a witness (the custodian, ``custodian/witness.py``)
signs ``cosignature/v1\ntime <its own POSIX seconds>\n<checkpoint body>``. The origin is printable ASCII without spaces or
"+" (so both sides build the same bytes without any Unicode rules), at most 255
characters; the size and the time are below 2**53, the largest whole number a browser
holds exactly.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from chorus.crypto.errors import MalformedInput
from chorus.crypto.merkle import HASH_SIZE

HEADER = "chorus-tree-head/v1"
COSIGNATURE_HEADER = "cosignature/v1"
LARGEST = 2**53 - 1
_ORIGIN = re.compile(r"[\x21-\x2a\x2c-\x7e]{1,255}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,15}")


@dataclass(frozen=True)
class TreeHead:
    origin: str
    size: int
    root_hash: bytes
    timestamp: int

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not _ORIGIN.fullmatch(self.origin):
            raise MalformedInput("a log's origin is 1 to 255 printable ASCII characters, no spaces or '+'")
        for name, value in (("tree size", self.size), ("timestamp", self.timestamp)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST:
                raise MalformedInput(f"a {name} is a whole number from 0 to 2**53 - 1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise MalformedInput("a root hash is 32 bytes")

    def checkpoint_body(self) -> bytes:
        """The C2SP checkpoint body: origin, size and root, each line ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n".encode("ascii")

    def message(self) -> bytes:
        """What the log's key signs: header, time, then the checkpoint body."""
        return f"{HEADER}\ntime {self.timestamp}\n".encode("ascii") + self.checkpoint_body()

    def cosignature_message(self, witness_time: int) -> bytes:
        """What a witness's key signs (C2SP tlog-cosignature/v1): header, the witness's own
        time, then the checkpoint body. The log's time is not part of it."""
        if isinstance(witness_time, bool) or not isinstance(witness_time, int) or not 0 <= witness_time <= LARGEST:
            raise MalformedInput("a timestamp is a whole number from 0 to 2**53 - 1")
        return f"{COSIGNATURE_HEADER}\ntime {witness_time}\n".encode("ascii") + self.checkpoint_body()

    @classmethod
    def from_message(cls, message: bytes) -> TreeHead:
        """The tree head ``message`` encodes, refusing any bytes ``message()`` would not
        produce (so one tree head has exactly one encoding)."""
        try:
            text = message.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedInput("a tree head message is ASCII") from None
        lines = text.split("\n")
        if len(lines) != 6 or lines[5] != "" or lines[0] != HEADER or not lines[1].startswith("time "):
            raise MalformedInput(f"a tree head message is five lines: {HEADER}, time, origin, size, root")
        stamp, size, root = lines[1].removeprefix("time "), lines[3], lines[4]
        if not _DECIMAL.fullmatch(stamp) or not _DECIMAL.fullmatch(size):
            raise MalformedInput("the time and the tree size are decimal numbers without leading zeros")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise MalformedInput("the root hash is not base64") from None
        head = cls(origin=lines[2], size=int(size), root_hash=root_hash, timestamp=int(stamp))
        if head.message() != message:
            raise MalformedInput("the tree head message is not in its one canonical form")
        return head
