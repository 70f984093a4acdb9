"""Attachment cleaning: any bytes are either refused with a message or become a file of an
accepted kind, and the cleaned file is itself accepted as the same kind with nothing
more to remove (cleaning is complete the first time)."""

from __future__ import annotations

from chorus.records import scrub


def SEEDS() -> list[bytes]:  # noqa: N802 - a constant, made on demand
    from tests.records import samples

    return [
        samples.jpeg_with_gps(), samples.png(), samples.pdf_with_metadata(), samples.pdf_with_metadata(script=True),
        samples.wav_with_tags(), samples.mp3_with_tags(), b"a plain note\n", b"%PDF-1.4\n", b"\xff\xd8\xff\xe0",
    ]  # fmt: skip


def one_input(data: bytes) -> None:
    try:
        cleaned = scrub.clean(data, max_pixels=1_000_000)
    except scrub.AttachmentRefused as refused:
        assert str(refused).strip(), "a refusal must say why"
        return
    assert cleaned.kind in {"image", "pdf", "audio", "text"} and cleaned.data
    again = scrub.clean(cleaned.data, max_pixels=1_000_000)
    assert (again.kind, again.mime) == (cleaned.kind, cleaned.mime)
