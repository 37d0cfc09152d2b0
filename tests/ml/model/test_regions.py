import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from duplicalt.ml.model.regions import region_boxes
from tests.sample_photos import make_photo


def natural(seed, size):
    """A photo-like picture without the straight edges of make_photo's shapes
    (which a seam cut would rightly take for pictures butted together): a
    smooth random field of colour with blurred blobs and sensor grain."""
    rng = np.random.default_rng(seed)
    w, h = size
    field = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize(size, Image.BICUBIC)
    draw = ImageDraw.Draw(field)
    for _ in range(5):
        x, y, r = rng.integers(0, w), rng.integers(0, h), rng.integers(w // 12, w // 5)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    field = field.filter(ImageFilter.GaussianBlur(2))
    grain = rng.normal(0, 10, (h, w, 3))
    return Image.fromarray((np.asarray(field, np.float32) + grain).clip(0, 255).astype(np.uint8))


def page(pictures, gap=14, colour=(245, 245, 240)):
    """Pictures side by side in a row on a plain page, each with a gap around it."""
    w = sum(p.width for p in pictures) + gap * (len(pictures) + 1)
    h = max(p.height for p in pictures) + 2 * gap + 40
    out = Image.new("RGB", (w, h), colour)
    boxes, x = [], gap
    for p in pictures:
        out.paste(p, (x, gap))
        boxes.append((x, gap, x + p.width, gap + p.height))
        x += p.width + gap
    return out, boxes


def overlap(a, b):
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return iw * ih / union


def test_finds_each_picture_of_a_page():
    pics = [natural(s, (200, 150)) for s in (1, 2, 3)]
    img, truth = page(pics)
    found = region_boxes(img)
    assert len(found) == 3
    for box in truth:
        assert max(overlap(box, f) for f in found) > 0.9


def test_an_ordinary_or_framed_photo_has_no_region():
    photo = make_photo(7, (320, 240))
    assert region_boxes(photo) == []
    assert region_boxes(ImageOps.expand(photo, border=30, fill=(255, 255, 255))) == []
    assert region_boxes(Image.new("RGB", (300, 200), (9, 9, 9))) == []


def test_small_pictures_and_the_limit():
    pics = [natural(s, (200, 150)) for s in range(4)]
    img, _ = page(pics + [natural(9, (30, 20))])
    assert len(region_boxes(img)) == 4  # the 30 x 20 icon is no photo
    assert len(region_boxes(img, max_regions=2)) == 2
    assert region_boxes(img, max_regions=0) == []


def test_boxes_are_in_the_pixels_of_the_given_image():
    img, truth = page([natural(s, (600, 450)) for s in (4, 5)], gap=40)
    found = sorted(region_boxes(img))
    assert all(0 <= b[0] < b[2] <= img.width and 0 <= b[1] < b[3] <= img.height for b in found)
    assert np.allclose(found, sorted(truth), atol=img.width / 256 * 3)


def textured(seed, size):
    """make_photo with sensor-like grain: detail everywhere, as a camera photo has."""
    noise = np.random.default_rng(seed).normal(0, 12, (size[1], size[0], 3))
    return Image.fromarray((np.asarray(make_photo(seed, size), np.float32) + noise)
                           .clip(0, 255).astype(np.uint8))


def padded_on_blur(photo, canvas=(600, 600), blur=14):
    """The story/messenger export: the photo centred on a blurred, enlarged copy of itself."""
    back = ImageOps.fit(photo, canvas).filter(ImageFilter.GaussianBlur(blur))
    x, y = (canvas[0] - photo.width) // 2, (canvas[1] - photo.height) // 2
    back.paste(photo, (x, y))
    return back, (x, y, x + photo.width, y + photo.height)


def test_a_photo_padded_onto_its_own_blurred_copy_is_found_as_a_region():
    for seed, size, canvas in ((1, (400, 300), (600, 600)), (2, (300, 400), (640, 480)),
                               (3, (480, 270), (480, 640))):
        img, truth = padded_on_blur(textured(seed, size), canvas)
        found = region_boxes(img)
        assert len(found) == 1, (seed, found)
        assert overlap(found[0], truth) > 0.9, (seed, found, truth)


def test_soft_surroundings_that_are_no_pasted_edge_give_no_region():
    photo = natural(4, (400, 300))
    # an object on a smooth studio backdrop: soft at both sides, sharp only along its outline
    studio = Image.new("RGB", (500, 400), (200, 200, 210))
    mask = Image.new("L", photo.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, photo.width, photo.height), fill=255)
    studio.paste(photo, (50, 50), mask)
    assert region_boxes(studio) == []
    # a blurred band on one side only (no centred paste)
    img, _ = padded_on_blur(photo, (600, 300))
    one_sided = img.crop((100, 0, 600, 300))
    assert region_boxes(one_sided) == []
    # a plain border is trimming's job, not a region
    assert region_boxes(ImageOps.expand(photo, border=60, fill=(20, 20, 20))) == []


def test_pictures_butted_together_without_gaps_are_cut_at_their_seams():
    pics = [textured(s, (260, 200)) for s in (5, 6, 7)]
    row = Image.new("RGB", (780, 200))
    for k, p in enumerate(pics):
        row.paste(p, (260 * k, 0))
    found = region_boxes(row)
    assert len(found) == 3, found
    for k in range(3):
        assert max(overlap((260 * k, 0, 260 * (k + 1), 200), f) for f in found) > 0.9
    column = Image.new("RGB", (260, 400))
    column.paste(pics[0], (0, 0))
    column.paste(pics[1], (0, 200))
    halves = sorted(region_boxes(column), key=lambda b: b[1])
    assert len(halves) == 2, halves
    assert overlap(halves[0], (0, 0, 260, 200)) > 0.9 and overlap(halves[1], (0, 200, 260, 400)) > 0.9
    assert region_boxes(pics[0]) == []  # one textured photo alone: no seam, no region
