"""Small valid images built by hand (no imaging library): test content and rich-menu images."""

from __future__ import annotations

import struct
import zlib


def tiny_jpeg() -> bytes:
    """A valid 1x1 grey baseline JPEG, built by hand so no imaging library is needed."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    single_code = bytes([1] + [0] * 15)  # one Huffman code, 1 bit long ("0")
    return b"".join(
        [
            b"\xff\xd8",  # SOI
            segment(0xDB, b"\x00" + b"\x01" * 64),  # quantisation table 0
            segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"),  # 8 bit, 1x1, 1 component
            segment(0xC4, b"\x00" + single_code + b"\x00"),  # DC table: "0" = diff 0
            segment(0xC4, b"\x10" + single_code + b"\x00"),  # AC table: "0" = end of block
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),  # start of scan
            b"\x3f",  # DC "0", EOB "0", padded with 1 bits
            b"\xff\xd9",  # EOI
        ]
    )


def solid_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of the given size (e.g. a rich-menu image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte + 1-bit pixels
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)),
            chunk(b"IDAT", zlib.compress(row * height, 9)),
            chunk(b"IEND", b""),
        ]
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None when it is neither."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None

