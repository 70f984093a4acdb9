"""Attachment cleaning, file type by type: what betrays the survivor is gone, the content stays."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import mutagen
import pikepdf
import pytest
from PIL import Image

from chorus.records import scrub
from tests.records import samples


def test_a_photo_loses_its_exif_and_location_and_keeps_its_pixels() -> None:
    cleaned = scrub.clean(samples.jpeg_with_gps())
    assert cleaned.kind == "image"
    assert "the location where the photo was taken (GPS)" in cleaned.removed
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert not image.getexif()
        assert image.size == (64, 48)
        red, green, _blue = image.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
        assert red > 150 and green < 80


def test_a_pdf_loses_its_document_information_and_xmp() -> None:
    cleaned = scrub.clean(samples.pdf_with_metadata())
    assert samples.SECRET_AUTHOR.encode() not in cleaned.data
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert "/Info" not in pdf.trailer or not pdf.docinfo.keys()
        assert "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 1


def test_a_pdf_that_runs_script_is_refused() -> None:
    with pytest.raises(scrub.AttachmentRefused, match="scripts"):
        scrub.clean(samples.pdf_with_metadata(script=True))


def test_audio_loses_its_tags() -> None:
    for data in (samples.wav_with_tags(), samples.mp3_with_tags()):
        cleaned = scrub.clean(data)
        assert cleaned.kind == "audio"
        assert samples.SECRET_AUTHOR.encode() not in cleaned.data
        assert cleaned.removed == ["recording details (tags)"]
        parsed = mutagen.File(io.BytesIO(cleaned.data))
        assert parsed is not None and not parsed.tags


def test_text_is_accepted_as_it_is_and_binary_noise_is_not() -> None:
    assert scrub.clean("Notes, in my words — ünïcode too.".encode()).kind == "text"
    with pytest.raises(scrub.AttachmentRefused):
        scrub.clean(bytes(range(256)) * 4)


def test_a_file_is_judged_by_its_content_not_its_name() -> None:
    # A PNG is a PNG whatever it is called, and keeps the extension its content has.
    assert scrub.clean(samples.png()).extension == "png"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    with pytest.raises(scrub.AttachmentRefused, match="application/zip"):
        scrub.clean(buffer.getvalue())


# Inputs the coverage-guided fuzz run (python -m fuzz attachments) found, kept as they were.
FOUND = Path(__file__).resolve().parent / "found_by_fuzzing"


def test_a_pdf_qpdf_cannot_open_is_refused_as_damaged() -> None:
    # Its page tree counts are wrong: qpdf raised its own runtime error, which escaped.
    with pytest.raises(scrub.AttachmentRefused, match="damaged"):
        scrub.clean((FOUND / "pdf-with-wrong-page-count.bin").read_bytes())


def test_a_pdf_whose_repaired_copy_does_not_open_is_refused() -> None:
    # Found by the fuzz run: qpdf repaired a page tree whose only page was the catalogue
    # and wrote a copy it could not read back, so the survivor's stored file was unreadable.
    with pytest.raises(scrub.AttachmentRefused, match="damaged and could not be cleaned"):
        scrub.clean((FOUND / "pdf-whose-repair-does-not-reopen.bin").read_bytes())


def test_an_audio_file_whose_tags_hide_another_format_is_refused() -> None:
    # An ID3 header before a truncated WAV: stripping the tag left a WAV whose sizes lie,
    # which was accepted as an MP3 and then refused when the survivor uploaded it again.
    with pytest.raises(scrub.AttachmentRefused, match="damaged"):
        scrub.clean((FOUND / "id3-header-before-a-wav.bin").read_bytes())


def test_an_mp3_without_tags_is_accepted_as_audio() -> None:
    # Found by the fuzz run: once cleaned, an MP3 whose frames carry a checksum (header
    # FF FA) was no longer recognised, so a survivor's own exported recording was refused.
    frames = scrub.clean(samples.mp3_with_tags()).data
    protected = frames[:1] + b"\xfa" + frames[2:]
    cleaned = scrub.clean(protected)
    assert (cleaned.kind, cleaned.mime) == ("audio", "audio/mpeg")
    assert scrub.clean(cleaned.data).mime == "audio/mpeg"


def test_a_pdf_whose_document_information_is_not_a_dictionary_is_still_cleaned() -> None:
    # Found by the fuzz run: /Info holding a number made the cleaner fail with a server error.
    pdf = pikepdf.open(io.BytesIO(samples.pdf_with_metadata()))
    pdf.trailer.Info = 7
    odd = io.BytesIO()
    pdf.save(odd)
    cleaned = scrub.clean(odd.getvalue())
    assert cleaned.kind == "pdf"
    assert "/Info" not in pikepdf.open(io.BytesIO(cleaned.data)).trailer
