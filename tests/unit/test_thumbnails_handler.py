"""The thumbnails Lambda handler (roles/thumbnails/files/thumbnails_handler.py), in-process against moto.

Images are made with Pillow here. Covered: thumbnails that fit the box, keep their aspect ratio, are never enlarged and
keep their format; EXIF orientation applied and metadata stripped; URL-encoded keys; refusals before decoding
(too many pixels) or downloading (too many bytes); non-images, corrupt images, vanished objects and foreign records
skipped without raising; the source bucket never written to; S3 errors raised; one JSON log line per record; reruns
that give the same object.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import struct
import zlib

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from PIL import ExifTags, Image, ImageCms, ImageFile

from tests.harness.paths import REPO_ROOT

HANDLER = REPO_ROOT / "roles" / "thumbnails" / "files" / "thumbnails_handler.py"
SOURCE = "demo-uploads"
DESTINATION = "demo-thumbnails"
REGION = "eu-west-1"
SETTINGS = ("THUMBNAIL_MAX_SIZE", "THUMBNAIL_PREFIX", "THUMBNAIL_MAX_PIXELS", "THUMBNAIL_MAX_BYTES", "THUMBNAIL_QUALITY", "LOG_LEVEL")
RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.fixture
def s3(moto_aws):
    client = boto3.client("s3", region_name=REGION)
    for bucket in (SOURCE, DESTINATION):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture
def thumbnails(s3, monkeypatch):
    """A fresh copy of the handler module (so its S3 client is made inside moto), configured like a deployment."""
    monkeypatch.setenv("THUMBNAIL_BUCKET", DESTINATION)
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # the handler sets it: undo after the test
    spec = importlib.util.spec_from_file_location("thumbnails_handler", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def loads(monkeypatch):
    """Every image whose pixels Pillow decodes, by size."""
    decoded = []
    original = ImageFile.ImageFile.load

    def load(image):
        decoded.append(image.size)
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return decoded


def image_bytes(image_format="JPEG", size=(1000, 500), mode="RGB", color=RED, **options):
    output = io.BytesIO()
    Image.new(mode, size, color).save(output, image_format, **options)
    return output.getvalue()


def halves(size, left, right, mode="RGB"):
    """An image whose left half is ``left`` and right half ``right``."""
    image = Image.new(mode, size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def noisy_jpeg(size=(1000, 500), **options):
    output = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(output, "JPEG", **options)
    return output.getvalue()


def bilevel_png(width, height):
    """A complete, valid black 1-bit PNG, built without holding its pixels in memory (a huge one stays small)."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows, compressor = b"\x00" * ((1 + (width + 7) // 8) * 1000), zlib.compressobj(9)
    pixels = b"".join(compressor.compress(rows) for start in range(0, height - height % 1000, 1000))
    pixels += compressor.compress(rows[:(1 + (width + 7) // 8) * (height % 1000)]) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def s3_record(key, bucket=SOURCE, size=None, event_name="ObjectCreated:Put", event_source="aws:s3"):
    """A record of an S3 notification; ``key`` as S3 sends it (URL-encoded, ``+`` for spaces)."""
    obj = {"key": key, "eTag": "etag-of-the-upload", "sequencer": "sequencer-1"}
    if size is not None:
        obj["size"] = size
    return {"eventVersion": "2.1", "eventSource": event_source, "awsRegion": REGION, "eventName": event_name,
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": obj}}


def upload(s3, key, body, bucket=SOURCE):
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return s3_record(key, bucket=bucket, size=len(body))


def run(thumbnails, *records):
    return thumbnails.handler({"Records": list(records)}, None)


def outcomes(result):
    return [entry["outcome"] for entry in result["results"]]


def keys(s3, bucket=DESTINATION):
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def thumbnail(s3, key):
    """The thumbnail's GetObject response and the image in it."""
    response = s3.get_object(Bucket=DESTINATION, Key=key)
    image = Image.open(io.BytesIO(response["Body"].read()))
    image.load()
    return response, image


def log_lines(caplog):
    return [(record.levelno, json.loads(record.getMessage())) for record in caplog.records if record.name == "thumbnails"]


def test_a_jpeg_shrinks_to_fit_the_default_box_keeping_its_aspect_ratio(s3, thumbnails):
    result = run(thumbnails, upload(s3, "photos/IMG_0001.JPG", image_bytes("JPEG", (1000, 500))))

    assert result == {"results": [{"bucket": SOURCE, "key": "photos/IMG_0001.JPG", "outcome": "written",
                                   "thumbnail_key": "photos/IMG_0001.JPG", "size": [256, 128]}]}
    response, image = thumbnail(s3, "photos/IMG_0001.JPG")
    assert (image.format, image.size, response["ContentType"]) == ("JPEG", (256, 128), "image/jpeg")


@pytest.mark.parametrize("box, expected", [("100x200", (100, 50)), ("64", (64, 32)), ("320X240", (320, 160)), ("800x100", (200, 100))])
def test_the_box_and_the_prefix_come_from_the_environment(s3, thumbnails, monkeypatch, box, expected):
    monkeypatch.setenv("THUMBNAIL_MAX_SIZE", box)
    monkeypatch.setenv("THUMBNAIL_PREFIX", "thumbs/")

    result = run(thumbnails, upload(s3, "photos/wide.jpg", image_bytes("JPEG", (1000, 500))))

    assert result["results"][0]["thumbnail_key"] == "thumbs/photos/wide.jpg"
    assert keys(s3) == ["thumbs/photos/wide.jpg"]
    assert thumbnail(s3, "thumbs/photos/wide.jpg")[1].size == expected


def test_a_small_image_is_not_enlarged(s3, thumbnails):
    result = run(thumbnails, upload(s3, "icons/tiny.png", image_bytes("PNG", (100, 50))))

    assert result["results"][0]["size"] == [100, 50]
    assert thumbnail(s3, "icons/tiny.png")[1].size == (100, 50)


@pytest.mark.parametrize("extension, image_format, content_type", [("png", "PNG", "image/png"), ("webp", "WEBP", "image/webp")])
def test_png_and_webp_keep_their_format_and_their_transparency(s3, thumbnails, extension, image_format, content_type):
    source = io.BytesIO()
    halves((600, 300), RED + (255,), (0, 0, 0, 0), mode="RGBA").save(source, image_format)

    run(thumbnails, upload(s3, f"art/logo.{extension}", source.getvalue()))

    response, image = thumbnail(s3, f"art/logo.{extension}")
    assert (image.format, image.mode, image.size, response["ContentType"]) == (image_format, "RGBA", (256, 128), content_type)
    assert image.getpixel((32, 64))[3] == 255 and image.getpixel((32, 64))[0] > 240  # opaque red stays opaque red
    assert image.getpixel((224, 64))[3] == 0  # transparent stays transparent


def test_a_palette_png_with_transparency_keeps_it(s3, thumbnails):
    source = io.BytesIO()
    halves((600, 300), 1, 0, mode="P").save(source, "PNG", transparency=0)

    run(thumbnails, upload(s3, "art/palette.png", source.getvalue()))

    image = thumbnail(s3, "art/palette.png")[1]
    assert image.size == (256, 128)
    assert image.convert("RGBA").getpixel((224, 64))[3] == 0


def test_a_palette_image_is_resampled_smoothly(s3, thumbnails):
    source = io.BytesIO()
    halves((999, 500), RED, BLUE).convert("P").save(source, "PNG")

    run(thumbnails, upload(s3, "art/flag.png", source.getvalue()))

    image = thumbnail(s3, "art/flag.png")[1].convert("RGB")
    edge = [image.getpixel((x, 64)) for x in range(120, 136)]
    assert set(edge) - {RED, BLUE}  # blended where the halves meet, not nearest-neighbour jagged


def test_an_animated_gif_gives_a_gif_of_its_first_frame(s3, thumbnails):
    source = io.BytesIO()
    frames = [Image.new("RGB", (500, 1000), color) for color in (RED, BLUE)]
    frames[0].save(source, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    run(thumbnails, upload(s3, "fun/anim.gif", source.getvalue()))

    response, image = thumbnail(s3, "fun/anim.gif")
    assert (image.format, image.size, response["ContentType"]) == ("GIF", (128, 256), "image/gif")
    assert getattr(image, "n_frames", 1) == 1
    assert image.convert("RGB").getpixel((64, 128)) == RED


def test_exif_orientation_is_applied_and_no_metadata_reaches_the_thumbnail(s3, thumbnails):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: turn 90 degrees clockwise to show it
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.5)}
    source = io.BytesIO()
    halves((400, 200), RED, BLUE).save(source, "JPEG", exif=exif, comment=b"home address", quality=95)
    assert Image.open(io.BytesIO(source.getvalue())).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the source has GPS

    run(thumbnails, upload(s3, "phone/IMG_2001.jpeg", source.getvalue()))

    image = thumbnail(s3, "phone/IMG_2001.jpeg")[1]
    assert image.size == (128, 256)  # portrait, as the camera was held
    top, bottom = image.getpixel((64, 32)), image.getpixel((64, 224))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]  # the left (red) half is now on top
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "comment" not in image.info


def test_colours_survive_a_profile_is_kept_cmyk_becomes_rgb_grey_stays_grey(s3, thumbnails):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    cmyk_profile = srgb[:16] + b"CMYK" + srgb[20:]  # a profile's header names its colour space: only that matters here

    run(thumbnails, upload(s3, "p/rgb.jpg", image_bytes("JPEG", icc_profile=srgb)),
        upload(s3, "p/cmyk.jpg", image_bytes("JPEG", mode="CMYK", color=(0, 255, 255, 0), icc_profile=cmyk_profile)),
        upload(s3, "p/grey.jpg", image_bytes("JPEG", mode="L", color=128)))

    assert thumbnail(s3, "p/rgb.jpg")[1].info.get("icc_profile") == srgb
    assert thumbnail(s3, "p/grey.jpg")[1].mode == "L"
    cmyk = thumbnail(s3, "p/cmyk.jpg")[1]
    assert cmyk.mode == "RGB" and "icc_profile" not in cmyk.info  # a CMYK profile would be wrong on RGB pixels
    red, green, blue = cmyk.getpixel((128, 64))
    assert red > 200 and green < 60 and blue < 60


def test_the_format_follows_the_bytes_not_the_name(s3, thumbnails):
    run(thumbnails, upload(s3, "misnamed.jpg", image_bytes("PNG")),
        upload(s3, "camera.jpg", image_bytes("MPO", save_all=True, append_images=[Image.new("RGB", (1000, 500), BLUE)])))

    response, image = thumbnail(s3, "misnamed.jpg")
    assert (image.format, response["ContentType"]) == ("PNG", "image/png")
    response, image = thumbnail(s3, "camera.jpg")  # a multi-picture JPEG: its first picture as a plain JPEG
    assert (image.format, response["ContentType"], image.size) == ("JPEG", "image/jpeg", (256, 128))


def test_the_thumbnail_names_its_source_in_its_metadata(s3, thumbnails):
    run(thumbnails, upload(s3, "photos/wide.jpg", image_bytes()))

    source_etag = s3.head_object(Bucket=SOURCE, Key="photos/wide.jpg")["ETag"].strip('"')
    assert thumbnail(s3, "photos/wide.jpg")[0]["Metadata"] == {
        "source-bucket": SOURCE, "source-key": "photos/wide.jpg", "source-etag": source_etag}


def test_in_a_versioned_bucket_the_metadata_names_the_version(s3, thumbnails):
    s3.put_bucket_versioning(Bucket=SOURCE, VersioningConfiguration={"Status": "Enabled"})
    record = upload(s3, "photos/wide.jpg", image_bytes())

    run(thumbnails, record)

    version = s3.head_object(Bucket=SOURCE, Key="photos/wide.jpg")["VersionId"]
    assert thumbnail(s3, "photos/wide.jpg")[0]["Metadata"]["source-version-id"] == version


def test_an_url_encoded_key_is_read_and_written_under_its_decoded_name(s3, thumbnails, monkeypatch):
    monkeypatch.setenv("THUMBNAIL_PREFIX", "t/")
    s3.put_object(Bucket=SOURCE, Key="photos/my cat é.jpg", Body=image_bytes())

    result = run(thumbnails, s3_record("photos/my+cat+%C3%A9.jpg"))

    assert result["results"][0]["key"] == "photos/my cat é.jpg"
    assert keys(s3) == ["t/photos/my cat é.jpg"]
    assert thumbnail(s3, "t/photos/my cat é.jpg")[0]["Metadata"]["source-key"] == "photos/my%20cat%20%C3%A9.jpg"


def test_the_hand_made_png_is_a_real_png():
    image = Image.open(io.BytesIO(bilevel_png(1030, 2010)))
    image.load()
    assert (image.format, image.mode, image.size, image.getextrema()) == ("PNG", "1", (1030, 2010), (0, 0))


def test_an_image_of_huge_dimensions_is_refused_without_being_decoded(s3, thumbnails, loads, caplog):
    body = bilevel_png(20000, 20000)
    assert len(body) < 1_000_000  # 400 megapixels in a small file: the decompression bomb

    result = run(thumbnails, upload(s3, "bomb.png", body))

    assert outcomes(result) == ["skipped-too-many-pixels"]
    assert loads == [] and keys(s3) == []
    assert [(level, line["outcome"]) for level, line in log_lines(caplog)] == [(logging.WARNING, "skipped-too-many-pixels")]


@pytest.mark.parametrize("max_pixels, outcome", [
    ("10000", "written"),  # 100x100 is exactly at the limit
    ("9000", "skipped-too-many-pixels"),  # over the limit: the handler's own check of the header
    ("4000", "skipped-too-many-pixels"),  # over twice the limit: Pillow's DecompressionBombError
])
def test_the_pixel_limit_comes_from_the_environment(s3, thumbnails, loads, monkeypatch, max_pixels, outcome):
    monkeypatch.setenv("THUMBNAIL_MAX_PIXELS", max_pixels)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the setting decides, not whatever limit Pillow had

    result = run(thumbnails, upload(s3, "square.png", image_bytes("PNG", (100, 100))))

    assert outcomes(result) == [outcome]
    assert bool(loads) == bool(keys(s3)) == (outcome == "written")


def test_a_big_jpeg_is_decoded_at_a_reduced_scale(s3, thumbnails, loads):
    result = run(thumbnails, upload(s3, "camera/big.jpg", image_bytes("JPEG", (4096, 2048))))

    assert result["results"][0]["size"] == [256, 128]
    assert loads and max(width * height for width, height in loads) <= 1024 * 512  # a sixteenth of the pixels


@pytest.mark.parametrize("event_says_size", [True, False])
def test_an_object_over_the_byte_limit_is_skipped_before_download(s3, thumbnails, monkeypatch, event_says_size):
    monkeypatch.setenv("THUMBNAIL_MAX_BYTES", "5000")
    body = noisy_jpeg()
    assert len(body) > 5000
    if event_says_size:  # the event's size is enough: nothing is fetched (the object is not even there)
        record = s3_record("big.jpg", size=len(body))
    else:  # no size in the event: GetObject's Content-Length, before its body is read
        s3.put_object(Bucket=SOURCE, Key="big.jpg", Body=body)
        record = s3_record("big.jpg")

    assert outcomes(run(thumbnails, record)) == ["skipped-too-large"]
    assert keys(s3) == []


@pytest.mark.parametrize("key, body", [("notes.txt", b"just text"), ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), ("folder/", b"")])
def test_a_non_image_is_skipped_quietly(s3, thumbnails, caplog, key, body):
    result = run(thumbnails, upload(s3, key, body))

    assert outcomes(result) == ["skipped-not-image"]
    assert keys(s3) == []
    assert log_lines(caplog) == [(logging.INFO, {"outcome": "skipped-not-image", "bucket": SOURCE, "key": key})]


@pytest.mark.parametrize("body", [b"definitely not a jpeg", noisy_jpeg()[:20000], b""], ids=["garbage", "truncated", "empty"])
def test_a_corrupt_image_is_logged_as_an_error_and_not_raised(s3, thumbnails, caplog, body):
    result = run(thumbnails, upload(s3, "uploads/broken.jpg", body))

    assert outcomes(result) == ["error-corrupt"]
    assert keys(s3) == []
    [(level, line)] = log_lines(caplog)
    assert (level, line["bucket"], line["key"], line["outcome"]) == (logging.ERROR, SOURCE, "uploads/broken.jpg", "error-corrupt")


def test_the_source_bucket_is_never_written_to(s3, thumbnails, monkeypatch, caplog):
    monkeypatch.setenv("THUMBNAIL_BUCKET", SOURCE)
    monkeypatch.setenv("THUMBNAIL_PREFIX", "thumbs/")

    result = run(thumbnails, upload(s3, "photos/wide.jpg", image_bytes()))

    assert outcomes(result) == ["refused-same-bucket"]
    assert keys(s3, SOURCE) == ["photos/wide.jpg"]
    assert [(level, line["outcome"]) for level, line in log_lines(caplog)] == [(logging.ERROR, "refused-same-bucket")]


def test_an_object_deleted_since_the_event_is_skipped(s3, thumbnails):
    assert outcomes(run(thumbnails, s3_record("gone.jpg", size=1234))) == ["skipped-missing"]
    assert keys(s3) == []


def test_s3_errors_a_retry_can_fix_are_raised(s3, thumbnails, monkeypatch, caplog):
    monkeypatch.setenv("THUMBNAIL_BUCKET", "demo-not-created-yet")
    record = upload(s3, "photos/wide.jpg", image_bytes())

    with pytest.raises(ClientError) as raised:
        run(thumbnails, record)

    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"
    assert [(level, line["outcome"]) for level, line in log_lines(caplog)] == [(logging.ERROR, "error-s3")]


@pytest.mark.parametrize("code, status", [("AccessDenied", 403), ("SlowDown", 503), ("InternalError", 500)])
def test_a_failed_download_other_than_no_such_key_is_raised(s3, thumbnails, code, status):
    record = upload(s3, "photos/wide.jpg", image_bytes())
    with Stubber(thumbnails.s3_client()) as stubber:
        stubber.add_client_error("get_object", code, http_status_code=status)
        with pytest.raises(ClientError) as raised:
            run(thumbnails, record)

    assert raised.value.response["Error"]["Code"] == code
    assert keys(s3) == []


def test_records_that_are_not_object_created_are_ignored(s3, thumbnails):
    written = upload(s3, "photos/wide.jpg", image_bytes())

    result = run(thumbnails, s3_record("photos/wide.jpg", event_name="ObjectRemoved:Delete"),
                 dict(written, eventSource="aws:sqs"), written)

    assert outcomes(result) == ["skipped-not-object-created", "skipped-not-object-created", "written"]
    assert keys(s3) == ["photos/wide.jpg"]


def test_each_record_is_logged_as_one_json_line(s3, thumbnails, caplog):
    records = [upload(s3, "a.jpg", image_bytes()), upload(s3, "b.txt", b"text"), s3_record("c.png")]

    result = run(thumbnails, *records)

    lines = log_lines(caplog)
    assert [(line["bucket"], line["key"], line["outcome"]) for level, line in lines] == [
        (entry["bucket"], entry["key"], entry["outcome"]) for entry in result["results"]]
    assert outcomes(result) == ["written", "skipped-not-image", "skipped-missing"]
    assert (lines[0][1]["size"], lines[0][1]["source_size"], lines[0][1]["thumbnail_bucket"]) == ([256, 128], [1000, 500], DESTINATION)
    assert all("\n" not in record.getMessage() for record in caplog.records)


def test_log_level_comes_from_the_environment(s3, thumbnails, monkeypatch, caplog):
    monkeypatch.setenv("LOG_LEVEL", "warning")

    run(thumbnails, upload(s3, "a.jpg", image_bytes()), upload(s3, "b.jpg", b"broken"))

    assert [line["outcome"] for level, line in log_lines(caplog)] == ["error-corrupt"]


def test_the_quality_setting_trades_size_for_fidelity(s3, thumbnails, monkeypatch):
    sizes = {}
    for quality in ("30", "95"):
        monkeypatch.setenv("THUMBNAIL_QUALITY", quality)
        run(thumbnails, upload(s3, "noise.jpg", noisy_jpeg()))
        sizes[quality] = s3.head_object(Bucket=DESTINATION, Key="noise.jpg")["ContentLength"]

    assert sizes["30"] < sizes["95"] / 2


def test_processing_the_same_event_twice_gives_the_same_object(s3, thumbnails):
    records = [upload(s3, "photos/wide.jpg", image_bytes()), upload(s3, "art/logo.webp", image_bytes("WEBP", (300, 900)))]

    def stored():
        objects = {key: s3.get_object(Bucket=DESTINATION, Key=key) for key in keys(s3)}
        return {key: (obj["Body"].read(), obj["Metadata"], obj["ContentType"]) for key, obj in objects.items()}

    first = run(thumbnails, *records)
    before = stored()
    second = run(thumbnails, *records)

    assert first == second
    assert sorted(before) == ["art/logo.webp", "photos/wide.jpg"]
    assert stored() == before


@pytest.mark.parametrize("name, value", [("THUMBNAIL_BUCKET", ""), ("THUMBNAIL_MAX_SIZE", "big"), ("THUMBNAIL_MAX_SIZE", "0x10"),
                                         ("THUMBNAIL_MAX_PIXELS", "-1"), ("THUMBNAIL_QUALITY", "101"), ("LOG_LEVEL", "chatty")])
def test_a_bad_configuration_fails_loudly_and_writes_nothing(s3, thumbnails, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    record = upload(s3, "photos/wide.jpg", image_bytes())

    with pytest.raises(ValueError):
        run(thumbnails, record)

    assert keys(s3) == []
