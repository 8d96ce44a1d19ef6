"""PNG encoding with zlib, and image sizes read from file headers."""

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}     # channels -> PNG colour type


def _chunk(kind, data):
    body = kind + data
    return (struct.pack(">I", len(data)) + body
            + struct.pack(">I", zlib.crc32(body) & 0xffffffff))


def encode(pixels, width, height, channels):
    """PNG bytes of 8-bit pixels (bytes, row-major, channels 1-4)."""
    if channels not in _COLOR_TYPES:
        raise ValueError("images need 1, 2, 3 or 4 channels, not %d"
                         % channels)
    if width <= 0 or height <= 0:
        raise ValueError("image size %dx%d is empty" % (width, height))
    stride = width * channels
    if len(pixels) != stride * height:
        raise ValueError("%d bytes of pixels for a %dx%dx%d image"
                         % (len(pixels), width, height, channels))
    raw = bytearray()
    for y in range(height):
        raw.append(0)                       # filter: none
        raw += pixels[y * stride:(y + 1) * stride]
    ihdr = struct.pack(">IIBBBBB", width, height, 8,
                       _COLOR_TYPES[channels], 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(bytes(raw), 6))
            + _chunk(b"IEND", b""))


def _jpeg_size(data):
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def sniff(data):
    """(format, width, height) of PNG, JPEG, GIF or BMP bytes, or None."""
    if data[:8] == PNG_SIGNATURE and len(data) >= 24 and \
            data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return "png", w, h
    if data[:3] == b"\xff\xd8\xff":
        size = _jpeg_size(data)
        if size is not None:
            return "jpeg", size[0], size[1]
        return None
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return "gif", w, h
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return "bmp", w, abs(h)
    return None


def _clamp(v):
    if v != v:                      # NaN
        return 0
    v = int(round(v))
    return 0 if v < 0 else 255 if v > 255 else v


def from_nested(rows, normalize=True):
    """PNG bytes of an HxW or HxWxC nested list of numbers.

    As W&B does for arrays: floats all within [0, 1] are scaled by 255;
    values are then clipped to 0..255.
    """
    if not rows or not isinstance(rows, (list, tuple)):
        raise ValueError("image data is empty")
    height = len(rows)
    first = rows[0]
    if not isinstance(first, (list, tuple)) or not first:
        raise ValueError("image data must be H x W or H x W x C")
    width = len(first)
    if isinstance(first[0], (list, tuple)):
        channels = len(first[0])
        flat = [v for row in rows for px in row for v in px]
    else:
        channels = 1
        flat = [v for row in rows for v in row]
    if len(flat) != width * height * channels:
        raise ValueError("image rows differ in length")
    if normalize and flat and all(isinstance(v, float) for v in flat) and \
            min(flat) >= 0 and max(flat) <= 1:
        flat = [v * 255 for v in flat]
    return encode(bytes(_clamp(v) for v in flat), width, height, channels)


def from_array(arr, normalize=True):
    """PNG bytes of a numpy array (H x W, H x W x C, or C x H x W)."""
    import numpy as np

    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (
            1, 2, 3, 4):
        a = np.transpose(a, (1, 2, 0))
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3):
        raise ValueError("image arrays must be H x W or H x W x C, not "
                         "shape %s" % (a.shape,))
    if a.dtype != np.uint8:
        a = a.astype(np.float64)
        a = np.nan_to_num(a, nan=0.0)
        if normalize and a.size and a.min() >= 0 and a.max() <= 1:
            a = a * 255
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    h, w = a.shape[0], a.shape[1]
    c = 1 if a.ndim == 2 else a.shape[2]
    return encode(np.ascontiguousarray(a).tobytes(), w, h, c)
