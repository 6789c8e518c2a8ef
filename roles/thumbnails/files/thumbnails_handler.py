# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Lambda handler (Python 3.12, boto3, Pillow): thumbnails of the images uploaded to one S3 bucket, in another.

Triggered by S3 ``ObjectCreated`` notifications. Every object whose key ends in .jpg, .jpeg, .png, .webp or .gif
(any case) is read, turned upright from its EXIF orientation, shrunk (never enlarged) to fit a box keeping its
aspect ratio, and written in the format its bytes are in (the first frame of an animation), without EXIF, XMP or
comments, to ``THUMBNAIL_BUCKET`` under ``THUMBNAIL_PREFIX + key``, with the source's bucket, key (percent-encoded)
and ETag in its metadata. Each record is logged as one JSON line and reported in the returned
``{"results": [...]}``.

Environment variables, read at every call:

- ``THUMBNAIL_BUCKET`` (required): the destination; records from this same bucket are refused, never written to.
- ``THUMBNAIL_MAX_SIZE``: the box the thumbnail fits in, ``256`` or ``320x240`` (default ``256x256``).
- ``THUMBNAIL_PREFIX``: prefix of the thumbnails' keys (default empty).
- ``THUMBNAIL_MAX_PIXELS``: images with more pixels are skipped before any is decoded (default 50000000).
- ``THUMBNAIL_MAX_BYTES``: larger objects are skipped without being downloaded (default 26214400, 25 MiB).
- ``THUMBNAIL_QUALITY``: JPEG and WebP quality, 1 to 100 (default 85).
- ``LOG_LEVEL``: level of this handler's log lines (default ``INFO``).

Non-images, corrupt images and objects deleted since the event are logged and skipped: a retry would end the same
way. Any other S3 error is raised, so that Lambda's retries and its on-failure destination or DLQ see it.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import struct
import warnings
from typing import NamedTuple
from urllib.parse import quote, unquote_plus

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, ImageOps

LOGGER = logging.getLogger("thumbnails")

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif")
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# What Pillow raises on damaged bytes, while reading the header or decoding the pixels.
CORRUPT_IMAGE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)
# An ICC profile declares its colour space in bytes 16-20; a thumbnail keeps the profile only if it matches.
ICC_COLOUR_SPACES = {"L": b"GRAY", "RGB": b"RGB ", "RGBA": b"RGB "}


class Settings(NamedTuple):
    """The configuration (see the module's docstring)."""

    bucket: str
    box: tuple
    prefix: str
    max_pixels: int
    max_bytes: int
    quality: int


class Outcome(Exception):
    """A record's processing stops early: its outcome, the level it is logged at, and more fields for the log."""

    def __init__(self, outcome, level=logging.INFO, **fields):
        super().__init__(outcome)
        self.outcome = outcome
        self.level = level
        self.fields = fields


@functools.lru_cache(maxsize=None)
def s3_client():
    """One S3 client per Lambda execution environment, made at first use (``s3_client.cache_clear()`` forgets it)."""
    return boto3.client("s3", config=Config(retries={"mode": "standard"}))


def _integer(name, default, highest=None):
    raw = os.environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (highest is not None and value > highest):
        raise ValueError(f"{name} must be a whole number, at least 1{f' and at most {highest}' if highest else ''}: not {raw!r}")
    return value


def _box(raw):
    sides = raw.lower().split("x")
    if len(sides) > 2 or not all(side.strip().isdigit() and int(side) > 0 for side in sides):
        raise ValueError(f"THUMBNAIL_MAX_SIZE must be like 256 or 320x240, not {raw!r}")
    return int(sides[0]), int(sides[-1])


def settings():
    """The configuration, from the environment as it is now."""
    bucket = os.environ.get("THUMBNAIL_BUCKET")
    if not bucket:
        raise ValueError("THUMBNAIL_BUCKET (the bucket the thumbnails are written to) is not set")
    return Settings(
        bucket=bucket,
        box=_box(os.environ.get("THUMBNAIL_MAX_SIZE") or "256x256"),
        prefix=os.environ.get("THUMBNAIL_PREFIX", ""),
        max_pixels=_integer("THUMBNAIL_MAX_PIXELS", 50_000_000),
        max_bytes=_integer("THUMBNAIL_MAX_BYTES", 25 * 1024 * 1024),
        quality=_integer("THUMBNAIL_QUALITY", 85, highest=100),
    )


def handler(event, context):
    """The Lambda entry point: one thumbnail per S3 ObjectCreated record of ``event``."""
    config = settings()
    LOGGER.setLevel((os.environ.get("LOG_LEVEL") or "INFO").upper())
    return {"results": [_process(record, config) for record in event.get("Records", [])]}


def _process(record, config):
    """Make one record's thumbnail, log the outcome as one JSON line and return its summary."""
    s3_part = record.get("s3", {})
    bucket = s3_part.get("bucket", {}).get("name")
    key = unquote_plus(s3_part.get("object", {}).get("key", ""))
    try:
        fields = _make_thumbnail(record, bucket, key, config)
        outcome, level = "written", logging.INFO
    except Outcome as done:
        outcome, level, fields = done.outcome, done.level, done.fields
    except (ClientError, BotoCoreError) as error:
        _log(logging.ERROR, "error-s3", bucket, key, error=str(error))
        raise
    _log(level, outcome, bucket, key, **fields)
    summary = {"bucket": bucket, "key": key, "outcome": outcome}
    summary.update((name, fields[name]) for name in ("thumbnail_key", "size") if name in fields)
    return summary


def _log(level, outcome, bucket, key, **fields):
    LOGGER.log(level, json.dumps({"outcome": outcome, "bucket": bucket, "key": key, **fields}, ensure_ascii=False))


def _make_thumbnail(record, bucket, key, config):
    _check_record(record, bucket, key, config)
    source, data = _download(bucket, key, config.max_bytes)
    body, image_format, size, source_size = _render(data, config)
    thumbnail_key = config.prefix + key
    s3_client().put_object(Bucket=config.bucket, Key=thumbnail_key, Body=body, ContentType=CONTENT_TYPES[image_format],
                           Metadata=_source_metadata(bucket, key, source))
    return {"thumbnail_bucket": config.bucket, "thumbnail_key": thumbnail_key, "size": list(size),
            "source_size": list(source_size), "format": image_format}


def _check_record(record, bucket, key, config):
    """Stop before any S3 call at what the event alone shows: not an upload, our own bucket, not an image, too big."""
    if record.get("eventSource") != "aws:s3" or not record.get("eventName", "").startswith("ObjectCreated:"):
        raise Outcome("skipped-not-object-created", event_source=record.get("eventSource"), event_name=record.get("eventName"))
    if bucket == config.bucket:
        raise Outcome("refused-same-bucket", logging.ERROR,
                      error="THUMBNAIL_BUCKET is the bucket that triggered this function: writing there would trigger it again")
    if not key.lower().endswith(IMAGE_EXTENSIONS):
        raise Outcome("skipped-not-image")
    size = record["s3"]["object"].get("size")
    if size is not None and size > config.max_bytes:
        raise Outcome("skipped-too-large", logging.WARNING, bytes=size, max_bytes=config.max_bytes)


def _download(bucket, key, max_bytes):
    """The object's GetObject response and its bytes; the body is not read when the object is too big."""
    try:
        source = s3_client().get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchKey":
            raise
        raise Outcome("skipped-missing") from None
    if source["ContentLength"] > max_bytes:
        source["Body"].close()
        raise Outcome("skipped-too-large", logging.WARNING, bytes=source["ContentLength"], max_bytes=max_bytes)
    return source, source["Body"].read()


def _render(data, config):
    """The encoded thumbnail, its format, its size and the source's size."""
    try:
        image = _open(data, config.max_pixels)
        source_size = image.size
        image_format = "JPEG" if image.format == "MPO" else image.format  # a JPEG holding several pictures
        profile = image.info.get("icc_profile")
        # A JPEG is decoded at 1/2, 1/4 or 1/8 scale if that still leaves twice the box's longer side: less memory, time.
        image.draft(None, (2 * max(config.box), 2 * max(config.box)))
        image = ImageOps.exif_transpose(image)
        image = image.convert(_working_mode(image))
        image.thumbnail(config.box, Image.Resampling.LANCZOS)
        return _encode(image, image_format, profile, config.quality), image_format, image.size, source_size
    except Image.DecompressionBombError as error:
        raise Outcome("skipped-too-many-pixels", logging.WARNING, error=str(error), max_pixels=config.max_pixels) from None
    except CORRUPT_IMAGE_ERRORS as error:
        raise Outcome("error-corrupt", logging.ERROR, error=f"{type(error).__name__}: {error}") from None


def _open(data, max_pixels):
    """The image with only its header read (``Image.open`` is lazy), refused if it has more than ``max_pixels``."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS (refused just below) and raises DecompressionBombError past twice that.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES))  # no other parser sees untrusted bytes
    width, height = image.size
    if width * height > max_pixels:
        raise Outcome("skipped-too-many-pixels", logging.WARNING, source_size=[width, height], max_pixels=max_pixels)
    return image


def _working_mode(image):
    """RGBA for an image with any transparency, L for a grey or black-and-white one, RGB for the rest (CMYK too)."""
    if image.has_transparency_data:
        return "RGBA"
    return "L" if image.mode in ("1", "L") else "RGB"


def _encode(image, image_format, profile, quality):
    """``image`` in ``image_format``, carrying no metadata but a colour profile that fits its colour space."""
    options = {"JPEG": {"quality": quality, "optimize": True}, "WEBP": {"quality": quality}, "PNG": {"optimize": True}}
    save_options = options.get(image_format, {})
    if profile and image_format != "GIF" and profile[16:20] == ICC_COLOUR_SPACES[image.mode]:
        save_options["icc_profile"] = profile
    image.info = {}  # EXIF (GPS), XMP, comments: some encoders copy whatever the source had
    output = io.BytesIO()
    image.save(output, image_format, **save_options)
    return output.getvalue()


def _source_metadata(bucket, key, source):
    """Where the thumbnail comes from (S3 metadata must be ASCII: the key is percent-encoded)."""
    metadata = {"source-bucket": bucket, "source-key": quote(key, safe="/"), "source-etag": source["ETag"].strip('"')}
    if source.get("VersionId"):
        metadata["source-version-id"] = source["VersionId"]
    return metadata
