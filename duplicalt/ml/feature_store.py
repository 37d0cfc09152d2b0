"""Each photo's ORB features for the matcher: extracted once, kept, handed to the cache.

A photo's features are those of its grey copy fitting side x side, and, for
mirrored copies, those of its mirror image. The mirror's are extracted only
when a pair needs them (its straight check found no copy): on the 45k
library's 14,167 judged pairs, 2,444 of the 14,422 photos with features ever
needed them, and extraction was ~40 % of the verification. The grey copies
stay a while (``grey_mb``) for that, so a late mirror seldom needs a decode.
Copies the embedder decoded are taken over when they have the pixels the
matcher's own decode would have (``keep_decoded``). Needs OpenCV only.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from struct import error as struct_error

import cv2
import numpy as np

from duplicalt.ml.local_features import Features, dumps, loads, thumbnail
from duplicalt.photos.decode import UnreadableImage, load_photo, same_decode
from duplicalt.photos.types import PhotoInfo, RegionRef

CACHED_FEATURES = 4096  # feature sets in memory (~20 KB each)
KEPT_MB = 128  # grey 320-px copies of decoded photos kept for the matcher (~77 KB each; 256
# put the 45k scan with centre pooling at 1,581 MB peak)
GREY_MB = 64  # grey copies kept after extraction, for a mirror wanted later
MIN_SIDE = 32  # narrower photos (a 1-px strip) have no ORB features to judge: inconclusive
_UNKNOWN = object()  # features not computed (or no longer in memory)


class _Bounded:
    """An LRU of (grey, thumbnail) views bounded by the grey copies' bytes."""

    def __init__(self, mb: float) -> None:
        self.items: OrderedDict[Path, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.bytes, self.limit = 0, int(mb * 2**20)

    def put(self, path: Path, views: tuple[np.ndarray, np.ndarray]) -> None:
        self.pop(path)
        self.items[path] = views
        self.bytes += views[0].nbytes
        while self.bytes > self.limit and self.items:
            self.bytes -= self.items.popitem(last=False)[1][0].nbytes

    def pop(self, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
        views = self.items.pop(path, None)
        if views is not None:
            self.bytes -= views[0].nbytes
        return views

    def clear(self) -> None:
        self.items.clear()
        self.bytes = 0


class FeatureStore:
    """ORB features of photos by path (straight or mirrored), thread-safe."""

    def __init__(self, side: int = 320, features: int = 500, kept_mb: float = KEPT_MB,
                 grey_mb: float = GREY_MB) -> None:
        self.side, self.nfeatures = side, features
        # the cached features' format (-f32: exact points, so a warm scan = a cold one)
        self.features_name = f"orb-{side}-{features}-rgb64-f32"
        self._fresh: dict[Path, bytes] = {}
        self._local = threading.local()
        self._cache: OrderedDict[tuple[Path, bool], Features | None] = OrderedDict()
        self._lock = threading.Lock()
        self._kept_views = _Bounded(kept_mb)  # from the embedder, not yet extracted
        self._greys = _Bounded(grey_mb)  # extracted straight, mirror not yet
        self._busy: dict[Path, threading.Event] = {}
        self.decoded = 0  # photos this matcher had to decode itself

    def _orb(self):
        if not hasattr(self._local, "orb"):
            self._local.orb = cv2.ORB_create(nfeatures=self.nfeatures, fastThreshold=10)
            self._local.bf = cv2.BFMatcher(cv2.NORM_HAMMING)
        return self._local.orb, self._local.bf

    def features(self, path: Path, mirrored: bool = False) -> Features | None:
        """ORB features of the photo (or its mirror image); a photo another thread
        is already reading is waited for, not re-read."""
        key = (path, mirrored)
        while True:
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return self._cache[key]
                busy = self._busy.get(path)
                if busy is None:
                    self._busy[path] = threading.Event()
                    break
            busy.wait()
        try:
            return self._compute(path, mirrored)
        finally:
            with self._lock:
                self._busy.pop(path).set()

    def _compute(self, path: Path, mirrored: bool) -> Features | None:
        """Extract the straight features, or the mirror's (with the straight ones again
        only if they were pushed out of memory meanwhile); both None when the photo
        cannot be judged (unreadable, a 1-px side ORB's pyramid cannot shrink)."""
        with self._lock:
            straight = self._cache.get((path, False), _UNKNOWN)
            if mirrored and straight is None:  # unreadable or too odd: so is its mirror
                self._cache[(path, True)] = None
                return None
            views = self._greys.pop(path) if mirrored else None
        views = views if views is not None else self._views_of(path)
        mirror = _UNKNOWN
        if views is None or min(views[0].shape[:2]) < MIN_SIDE:
            straight = mirror = None
        else:
            if straight is _UNKNOWN:
                straight = self._orb_features(views, False)
            if mirrored:
                mirror = self._orb_features(views, True)
        with self._lock:
            if straight is not None:
                if not mirrored:
                    self._greys.put(path, views)  # for the mirror, if a pair wants it
                self._fresh[path] = dumps(straight, None if mirror is _UNKNOWN else mirror)
            self._cache[(path, False)] = straight
            if mirror is not _UNKNOWN:
                self._cache[(path, True)] = mirror
            while len(self._cache) > CACHED_FEATURES:
                self._cache.popitem(last=False)
        return mirror if mirrored else straight

    def _views_of(self, path: Path | RegionRef) -> tuple[np.ndarray, np.ndarray] | None:
        """The grey and colour views of a photo, or of the region of one a pair
        was found through (decoded so that the region alone fits ``side``)."""
        if isinstance(path, RegionRef):
            return self._region_views(path)
        with self._lock:
            views = self._kept_views.pop(path)
        if views is not None:
            return views
        try:
            img, _ = load_photo(path, target=self.side)
        except UnreadableImage:
            return None
        with self._lock:
            self.decoded += 1
        return self.views(img)

    def _region_views(self, ref: RegionRef) -> tuple[np.ndarray, np.ndarray] | None:
        l, t, r, b = ref.box
        share = max(min(r - l, b - t), 0.05)
        try:
            img, _ = load_photo(ref.path, target=int(self.side / share))
        except UnreadableImage:
            return None
        w, h = img.size
        box = (int(l * w), int(t * h), max(int(l * w) + 1, round(r * w)),
               max(int(t * h) + 1, round(b * h)))
        with self._lock:
            self.decoded += 1
        return self.views(img.crop(box))

    def _orb_features(self, views: tuple[np.ndarray, np.ndarray], mirrored: bool
                      ) -> Features | None:
        gray, small = views
        if mirrored:
            gray, small = cv2.flip(gray, 1), cv2.flip(small, 1)
        try:
            kps, des = self._orb()[0].detectAndCompute(gray, None)
        except cv2.error:  # no single photo may stop a scan: too odd to judge
            return None
        return Features(np.float32([k.pt for k in kps]).reshape(-1, 2), des,
                        (gray.shape[1], gray.shape[0]), small)

    def preload(self, stored: dict[Path, bytes]) -> None:
        """Features a cache kept from an earlier scan (``fresh_features`` bytes)."""
        with self._lock:
            for path, data in stored.items():
                try:
                    straight, mirror = loads(data)
                except (ValueError, struct_error):
                    continue  # damaged: computed again
                for flip, feats in ((False, straight), (True, mirror)):
                    if feats is not None or not flip:
                        self._cache[(path, flip)] = feats
                        self._cache.move_to_end((path, flip))

    def has_features(self, path: Path) -> bool:
        with self._lock:
            return (path, False) in self._cache

    def fresh_features(self) -> dict[Path, bytes]:
        """Features computed since the last call, as bytes for the cache."""
        with self._lock:
            out, self._fresh = self._fresh, {}
        return out

    def grey(self, img) -> np.ndarray:
        """The photo as the matcher sees it: grey, fitting side x side."""
        return self.views(img)[0]

    def views(self, img) -> tuple[np.ndarray, np.ndarray]:
        """(grey fitting side x side, small colour thumbnail) of an RGB photo."""
        img = img.copy()
        img.thumbnail((self.side, self.side))
        rgb = np.asarray(img.convert("RGB"))
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), thumbnail(rgb)

    def keep_decoded(self, path: Path, img, info: PhotoInfo, target: int | None) -> None:
        """A photo the embedder just decoded (scan.types.KeepDecoded): keep its grey
        copy when it has the pixels this matcher's own decode would have, so a
        candidate pair needs no second decode. Oldest dropped beyond ``kept_mb``."""
        if not same_decode(info.format, (info.width, info.height), target, self.side):
            return
        views = self.views(img)
        with self._lock:
            self._cache.pop((path, False), None)  # decoded again: the file may have changed
            self._cache.pop((path, True), None)
            self._greys.pop(path)
            self._kept_views.put(path, views)

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
            self._kept_views.clear()
            self._greys.clear()
            self._fresh.clear()
