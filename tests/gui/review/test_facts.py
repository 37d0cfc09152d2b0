from pathlib import Path

from duplicalt.gui.review.facts import facts
from duplicalt.pairing.types import Member
from duplicalt.photos.types import FileEntry, PhotoInfo


def test_the_card_says_when_a_photo_shows_the_other_inside_it():
    entry = FileEntry(Path("/lib/page.jpg"), "page.jpg", 1000, 1, "jpeg")
    page = Member(entry, PhotoInfo(1400, 600, "JPEG"), 0.97, shows_another=True)
    plain = Member(entry, PhotoInfo(1400, 600, "JPEG"), 0.97)
    assert facts(page)["Similarity"] == "0.970 · contains the other"
    assert facts(plain)["Similarity"] == "0.970"
