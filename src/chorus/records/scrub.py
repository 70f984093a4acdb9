"""Attachments: what a file really is, and a copy of it without the metadata that betrays.

A photo's EXIF can carry where and when it was taken and on which phone; a PDF's
document information and XMP can carry its author; audio tags can carry a name.
Images are decoded and re-encoded from their pixels (so no metadata block of any kind
survives), PDFs lose their document information and every XMP stream, audio files
lose their tags. A file that cannot be parsed this way is refused, with the reason.

Pure Python over Pillow, pikepdf (qpdf), mutagen and filetype; no Django.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field

import filetype
import mutagen
import pikepdf
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

_IMAGE_FORMATS = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png"), "image/webp": ("WEBP", "webp")}
_AUDIO_TYPES = {
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/x-flac": "flac",
    "audio/mp4": "m4a",
    "audio/m4a": "m4a",
    "video/mp4": "m4a",
}
_EXIF_GPS = 0x8825
# Keys a PDF uses to run something or to carry other files: refused, not silently cut.
_PDF_ACTIVE = {"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}


class AttachmentRefused(ValueError):
    """The file is not accepted; the message says why, in words for the person uploading."""


@dataclass(frozen=True)
class CleanFile:
    kind: str  # image, pdf, audio, text
    mime: str
    extension: str
    data: bytes
    removed: list[str] = field(default_factory=list)


def clean(data: bytes, *, max_pixels: int = 40_000_000) -> CleanFile:
    """Identify ``data`` by its content and return a copy without metadata."""
    if not data:
        raise AttachmentRefused(_("The file is empty."))
    mime = _sniff(data)
    if mime in _IMAGE_FORMATS:
        return _clean_image(data, mime, max_pixels)
    if mime == "application/pdf":
        return _clean_pdf(data)
    if mime == "audio/x-wav":
        return _clean_wav(data)
    if mime in _AUDIO_TYPES:
        return _clean_tagged_audio(data, mime)
    if not mime and _is_text(data):
        return CleanFile(kind="text", mime="text/plain", extension="txt", data=data)
    accepted = _(
        "Chorus accepts photos (JPEG, PNG, WebP), PDF documents, plain text and audio (MP3, Ogg, FLAC, M4A, WAV)."
    )
    if mime:
        refusal = _("This file is none of these (it looks like %(type)s), whatever its name says.") % {"type": mime}
    else:
        refusal = _("This file is none of these, whatever its name says.")
    raise AttachmentRefused(f"{accepted} {refusal}")


def _sniff(data: bytes) -> str:
    """The type the content shows (never the name or the browser's word), or ""."""
    guess = filetype.guess(data)
    if guess is None and _mpeg_layer3_frame(data):
        return "audio/mpeg"  # an MP3 without tags (as Chorus itself gives one back), which filetype misses
    return guess.mime if guess else ""


def _mpeg_layer3_frame(data: bytes) -> bool:
    """Starts with an MPEG audio frame header: 11 sync bits, a known version, layer III."""
    return (
        len(data) > 4
        and data[0] == 0xFF
        and data[1] & 0xE0 == 0xE0
        and (data[1] >> 3) & 0x3 != 1
        and (data[1] >> 1) & 0x3 == 1
    )


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _clean_image(data: bytes, mime: str, max_pixels: int) -> CleanFile:
    pil_format, extension = _IMAGE_FORMATS[mime]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise AttachmentRefused(
                        _(
                            "This image is %(width)d×%(height)d pixels, more than Chorus accepts "
                            "(%(million)d million). Please send a smaller copy."
                        )
                        % {"width": width, "height": height, "million": max_pixels // 1_000_000}
                    )
                removed = _image_metadata(image)
                out = _reencode(image, pil_format)
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise AttachmentRefused(
            _("This image expands to far more pixels than it claims, so it was refused.")
        ) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise AttachmentRefused(_("This image is damaged or incomplete and could not be read.")) from error
    return CleanFile(kind="image", mime=mime, extension=extension, data=out.getvalue(), removed=removed)


def _image_metadata(image: Image.Image) -> list[str]:
    """What the survivor should be told was removed from this image."""
    exif = image.getexif()
    removed = []
    if exif:
        removed.append(_("camera and photo details (EXIF)"))
        if exif.get_ifd(_EXIF_GPS) or _EXIF_GPS in exif:
            removed.append(_("the location where the photo was taken (GPS)"))
    if any(key in image.info for key in ("icc_profile", "xmp", "XML:com.adobe.xmp", "comment")):
        removed.append(_("embedded descriptions and colour profile"))
    return removed


def _reencode(image: Image.Image, pil_format: str) -> io.BytesIO:
    """The pixels, turned upright, in a new image: ``info`` (EXIF, ICC, XMP, text) is not carried over."""
    upright = ImageOps.exif_transpose(image)
    mode = "RGB" if pil_format == "JPEG" or upright.mode not in ("RGBA", "LA", "P") else "RGBA"
    pixels = upright.convert(mode)
    fresh = Image.new(mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    fresh.save(out, pil_format, **({"quality": 92} if pil_format in ("JPEG", "WEBP") else {}))
    return out


# What a damaged PDF can raise: qpdf's own errors (QpdfRuntimeError is a RuntimeError, as
# is a recursion through a cyclic page tree), and Python's for malformed values.
_PDF_FAILURES = (pikepdf.PdfError, OSError, ValueError, RuntimeError)


def _clean_pdf(data: bytes) -> CleanFile:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as error:
        raise AttachmentRefused(_("This PDF is protected by a password. Please send an unprotected copy.")) from error
    except _PDF_FAILURES as error:
        raise AttachmentRefused(_("This PDF is damaged and could not be read.")) from error
    with pdf:
        try:
            if _pdf_has_active_content(pdf):
                raise AttachmentRefused(
                    _(
                        "This PDF contains scripts, actions or embedded files, which Chorus does not accept. "
                        "Printing it to a new PDF usually gives a copy without them."
                    )
                )
            removed = []
            if "/Info" in pdf.trailer:
                info = pdf.trailer.Info
                if not isinstance(info, pikepdf.Dictionary) or set(info.keys()) - {"/Producer"}:
                    removed.append(_("document information (author, title, software)"))
                del pdf.trailer.Info
            metadata_streams = 0
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and "/Metadata" in obj:
                    del obj.Metadata
                    metadata_streams += 1
                if isinstance(obj, pikepdf.Dictionary) and "/PieceInfo" in obj:
                    del obj.PieceInfo
            if metadata_streams:
                removed.append(_("embedded XMP metadata"))
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, deterministic_id=True)
            _check_reopens(out.getvalue())
        except AttachmentRefused:
            raise
        except _PDF_FAILURES as error:
            raise AttachmentRefused(_("This PDF is damaged and could not be cleaned.")) from error
    return CleanFile(kind="pdf", mime="application/pdf", extension="pdf", data=out.getvalue(), removed=removed)


def _check_reopens(cleaned: bytes) -> None:
    """The cleaned copy opens again with its pages. qpdf repairs a damaged file as it reads it,
    and can write a repair it cannot read back (a page tree whose only page is the catalogue):
    such a copy would be stored, then fail when the survivor opens or uploads it again."""
    with pikepdf.open(io.BytesIO(cleaned)) as again:
        if len(again.pages) == 0 or _pdf_has_active_content(again):
            raise AttachmentRefused(_("This PDF is damaged and could not be cleaned."))


def _pdf_has_active_content(pdf: pikepdf.Pdf) -> bool:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            keys = set(obj.keys())
            if keys & _PDF_ACTIVE or obj.get("/S") in (pikepdf.Name.JavaScript, pikepdf.Name.Launch):
                return True
    root = pdf.Root
    return "/OpenAction" in root or "/AA" in root


def _clean_wav(data: bytes) -> CleanFile:
    """Keep only the RIFF chunks that make the sound (fmt, data); drop LIST/INFO, ID3 and the rest."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AttachmentRefused(_("This WAV file is damaged and could not be read."))
    kept: list[bytes] = []
    dropped = False
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        body = data[offset + 8 : offset + 8 + size]
        if len(body) != size:
            raise AttachmentRefused(_("This WAV file is incomplete and could not be read."))
        if chunk_id in (b"fmt ", b"data"):
            kept.append(chunk_id + struct.pack("<I", size) + body + (b"\x00" if size % 2 else b""))
        else:
            dropped = True
        offset += 8 + size + (size % 2)
    if not any(chunk.startswith(b"fmt ") for chunk in kept) or not any(chunk.startswith(b"data") for chunk in kept):
        raise AttachmentRefused(_("This WAV file has no sound in it that Chorus can read."))
    body = b"WAVE" + b"".join(kept)
    removed = [_("recording details (tags)")] if dropped else []
    return CleanFile(
        kind="audio",
        mime="audio/wav",
        extension="wav",
        data=b"RIFF" + struct.pack("<I", len(body)) + body,
        removed=removed,
    )


def _clean_tagged_audio(data: bytes, mime: str) -> CleanFile:
    buffer = io.BytesIO(data)
    try:
        audio = mutagen.File(buffer)
        if audio is None:
            raise AttachmentRefused(_("This audio file is damaged and could not be read."))
        had_tags = bool(audio.tags)
        buffer.seek(0)
        audio.delete(buffer)
        if mime == "audio/mpeg":
            from mutagen import apev2

            buffer.seek(0)
            apev2.delete(buffer)
        buffer.seek(0)
        check = mutagen.File(buffer)
    except AttachmentRefused:
        raise
    except (mutagen.MutagenError, OSError, ValueError, struct.error) as error:
        raise AttachmentRefused(_("This audio file is damaged and could not be read.")) from error
    if check is None or check.tags:
        raise AttachmentRefused(_("The details stored in this audio file could not be removed, so it was refused."))
    if _sniff(buffer.getvalue()) != mime:  # the tags hid something else (e.g. a WAV behind an ID3 header)
        raise AttachmentRefused(_("This audio file is damaged and could not be read."))
    removed = [_("recording details (tags)")] if had_tags else []
    return CleanFile(kind="audio", mime=mime, extension=_AUDIO_TYPES[mime], data=buffer.getvalue(), removed=removed)
