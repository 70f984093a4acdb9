"""Attachment cleaning, file type by type: what betrays the survivor is gone, the content stays."""

from __future__ import annotations

import io
import zipfile

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
