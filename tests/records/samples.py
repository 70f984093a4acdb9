"""Files with metadata a survivor would not want to hand over, made in memory."""

from __future__ import annotations

import io
import struct
import wave

import pikepdf
from PIL import Image

GPS_LATITUDE = (51.0, 30.0, 12.5)
SECRET_AUTHOR = "Author Okonkwo-Lindqvist"


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model Seven"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = (0.0, 7.0, 41.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, "PNG")
    return out.getvalue()


def pdf_with_metadata(*, script: bool = False) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = [SECRET_AUTHOR]
    pdf.docinfo["/Author"] = SECRET_AUTHOR
    pdf.docinfo["/Title"] = "Private notes"
    if script:
        action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        pdf.Root.OpenAction = action
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def wav_with_tags() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x01\x00" * 800)
    data = out.getvalue()
    info = b"INFO" + b"IART" + struct.pack("<I", len(SECRET_AUTHOR) + 1) + SECRET_AUTHOR.encode() + b"\x00"
    chunk = b"LIST" + struct.pack("<I", len(info)) + info
    body = data[8:] + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3_with_tags() -> bytes:
    from mutagen.id3 import ID3, TPE1

    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz frames of silence.
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    buffer = io.BytesIO(frame * 40)
    tags = ID3()  # type: ignore[no-untyped-call]
    tags.add(TPE1(encoding=3, text=[SECRET_AUTHOR]))  # type: ignore[no-untyped-call]
    tags.save(buffer)
    return buffer.getvalue()
