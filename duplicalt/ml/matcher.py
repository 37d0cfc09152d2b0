"""Second-stage verification of candidate pairs by local-feature matching.

The global embedding finds candidates; this matcher confirms that two photos
show the same picture: ORB keypoints, Lowe's ratio test, and a RANSAC affine
fit (also against the mirrored photo, for flipped copies). Copies keep their
geometry under crops, borders, captions, rotations, resizes and colour edits,
so they share many inliers; different photos, even of similar subjects, do not.
Two different objects with one outline can line up too, so the aligned fine
colours must agree too: no clash of hues (a red and a blue one), and one global
colour map must explain nearly the whole aligned overlap (local_features.
colour_mismatch: a repainted object needs two). Each photo's
features are computed once and handed to the scan's cache (``features_name``,
``preload``, ``fresh_features``): a pair then costs a match, not a decode.
Needs OpenCV only (no torch).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from struct import error as struct_error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from duplicalt.ml.local_features import (Features, aligned_thumbs, colour_mismatch, dumps,
                                         hue_clash, loads, plausible, spread, thumbnail)
from duplicalt.pairing.verification import NOT_JUDGED
from duplicalt.photos.decode import UnreadableImage, load_photo, same_decode
from duplicalt.photos.types import PhotoInfo

cv2.setNumThreads(1)
CACHED_FEATURES = 4096
KEPT_MB = 256  # grey 320-px copies of decoded photos kept for the matcher (~77 KB each)


MIN_SPREAD = 0.1  # inliers must span this fraction of the photo's width or height
MAX_HUE_CLASH = 0.4  # aligned coloured pixels of another hue a copy may have (on 'tune' labels:
# copies <= 0.13, a red and a blue motorbike of one model >= 0.47)
MAX_MISMATCH = 0.08  # aligned overlap no single colour map explains (chosen on the 'tune'
# look-alike labels and 1,000 CALIBRATION-split copies: 99.8 % of the copies the geometry
# accepts stay accepted; 'different' accepted 42 -> 11 of 52, 'same' 43 -> 34 of 43)
__all__ = ["Features", "NOT_JUDGED", "OrbMatcher", "plausible", "spread"]


MIN_SIDE = 32  # narrower photos (a 1-px strip) have no ORB features to judge: inconclusive


class OrbMatcher:
    """``verify(pairs)`` -> inlier count per pair, or None when either photo has
    too little texture to judge (a plain sky, a blank page)."""

    def __init__(self, side: int = 320, features: int = 500, ratio: float = 0.8,
                 min_keypoints: int = 25, workers: int = 2, min_inliers: int = 20,
                 featureless_threshold: float = 0.95, kept_mb: float = KEPT_MB) -> None:
        self.side, self.nfeatures, self.ratio = side, features, ratio
        self.min_keypoints = min_keypoints
        self.min_inliers = min_inliers
        self.featureless_threshold = featureless_threshold
        self.workers = workers
        self.max_hue_clash = MAX_HUE_CLASH
        self.max_mismatch = MAX_MISMATCH
        self.name = (f"orb-affine-v7-{side}-{features}-{ratio}-h{self.max_hue_clash}"
                     f"-c{self.max_mismatch}")
        self.features_name = f"orb-{side}-{features}-rgb64"  # the cached features' format
        self._fresh: dict[Path, bytes] = {}
        self._local = threading.local()
        self._cache: OrderedDict[tuple[Path, bool], Features | None] = OrderedDict()
        self._lock = threading.Lock()
        self._kept: OrderedDict[Path, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._kept_bytes, self._kept_limit = 0, int(kept_mb * 2**20)
        self._busy: dict[Path, threading.Event] = {}
        self.decoded = 0  # photos this matcher had to decode itself

    def _orb(self):
        if not hasattr(self._local, "orb"):
            self._local.orb = cv2.ORB_create(nfeatures=self.nfeatures, fastThreshold=10)
            self._local.bf = cv2.BFMatcher(cv2.NORM_HAMMING)
        return self._local.orb, self._local.bf

    def features(self, path: Path, mirrored: bool = False) -> Features | None:
        """ORB features of the photo (or its mirror image); one decode serves both,
        and a photo another thread is already reading is waited for, not re-read."""
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
            both = self._extract(path)
            with self._lock:
                if both[0] is not None:
                    self._fresh[path] = dumps(*both)
                for flip, feats in zip((False, True), both):
                    self._cache[(path, flip)] = feats
                while len(self._cache) > CACHED_FEATURES:  # ~20 KB each: bound the memory
                    self._cache.popitem(last=False)
        finally:
            with self._lock:
                self._busy.pop(path).set()
        return both[1] if mirrored else both[0]

    def preload(self, stored: dict[Path, bytes]) -> None:
        """Features a cache kept from an earlier scan (``fresh_features`` bytes)."""
        with self._lock:
            for path, data in stored.items():
                try:
                    both = loads(data)
                except (ValueError, struct_error):
                    continue  # damaged: computed again
                for flip, feats in zip((False, True), both):
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
        """A photo the embedder just decoded (core.types.KeepDecoded): keep its grey
        copy when it has the pixels this matcher's own decode would have, so a
        candidate pair needs no second decode. Oldest dropped beyond ``kept_mb``."""
        if not same_decode(info.format, (info.width, info.height), target, self.side):
            return
        views = self.views(img)
        with self._lock:
            self._cache.pop((path, False), None)  # decoded again: the file may have changed
            self._cache.pop((path, True), None)
            old = self._kept.pop(path, None)
            self._kept_bytes += views[0].nbytes - (0 if old is None else old[0].nbytes)
            self._kept[path] = views
            while self._kept_bytes > self._kept_limit and self._kept:
                self._kept_bytes -= self._kept.popitem(last=False)[1][0].nbytes

    def _take_kept(self, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            views = self._kept.pop(path, None)
            if views is not None:
                self._kept_bytes -= views[0].nbytes
            return views

    def _extract(self, path: Path) -> tuple[Features | None, Features | None]:
        views = self._take_kept(path)
        if views is None:
            try:
                img, _ = load_photo(path, target=self.side)
            except UnreadableImage:
                return None, None
            self.decoded += 1
            views = self.views(img)
        gray, small = views
        if min(gray.shape[:2]) < MIN_SIDE:  # ORB's pyramid cannot shrink a 1-px side
            return None, None
        out = []
        for image, thumb in ((gray, small), (cv2.flip(gray, 1), cv2.flip(small, 1))):
            try:
                kps, des = self._orb()[0].detectAndCompute(image, None)
            except cv2.error:  # no single photo may stop a scan: too odd to judge
                return None, None
            out.append(Features(np.float32([k.pt for k in kps]).reshape(-1, 2), des,
                                (image.shape[1], image.shape[0]), thumb))
        return out[0], out[1]

    def inliers(self, a: Features, b: Features) -> int:
        """Inliers of the affine fit; 0 when the aligned photos' colours disagree."""
        n, affine = self.fit(a, b)
        if n >= self.min_inliers and affine is not None:
            aligned = aligned_thumbs(a, b, affine)  # warped once for both checks
            clash = hue_clash(a, b, affine, aligned=aligned)
            if clash is not None and clash > self.max_hue_clash:
                return 0  # the same outline, another object
            mismatch = colour_mismatch(a, b, affine, aligned=aligned)
            if mismatch is not None and mismatch > self.max_mismatch:
                return 0  # one object repainted, or another one on the same spot
        return n

    def fit(self, a: Features, b: Features) -> tuple[int, np.ndarray | None]:
        """(inlier count, affine map a -> b) of the geometric check alone.""" 
        bf = self._orb()[1]
        knn = bf.knnMatch(a.descriptors, b.descriptors, k=2)
        good = [m[0] for m in knn if len(m) == 2 and m[0].distance < self.ratio * m[1].distance]
        if len(good) < 6:
            return len(good), None
        src = a.points[[g.queryIdx for g in good]]
        dst = b.points[[g.trainIdx for g in good]]
        affine, mask = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=5.0)
        if mask is None or not plausible(affine):
            return 0, None
        keep = mask.ravel().astype(bool)
        if min(spread(src[keep], a.shape), spread(dst[keep], b.shape)) < MIN_SPREAD:
            return 0, None  # inliers bunched in a corner: a texture coincidence, not a copy
        return int(keep.sum()), affine

    def score(self, pa: Path, pb: Path, similarity: float | None = None) -> int | None:
        """Inliers, 0, None (inconclusive) or NOT_JUDGED: a pair too plain for the
        geometry whose ``similarity`` is below the embedding's bar for such pairs
        (``featureless_threshold``) cannot be accepted whatever its colours say,
        so they are not checked."""
        a = self.features(pa)
        best = None
        for mirrored in (False, True):
            b = self.features(pb, mirrored)
            if a is None or b is None or min(len(a.points), len(b.points)) < self.min_keypoints:
                continue
            n = self.inliers(a, b)
            best = n if best is None else max(best, n)
            if best >= 40:  # clearly the same picture: skip the mirrored check
                break
        if best is not None:
            return best
        if similarity is not None and similarity < self.featureless_threshold:
            return NOT_JUDGED
        return self.featureless(a, pb)

    def featureless(self, a: Features | None, pb: Path) -> int | None:
        """Too little texture for the geometry (a 64-px photo, a plain object on
        white): the whole pictures' colours must still agree under a plain
        resize, straight or mirrored, else 0 (rejected: a nail and a paddle);
        None (inconclusive: the embedding decides) when they do."""
        if a is None:
            return None
        for mirrored in (False, True):
            b = self.features(pb, mirrored)
            if b is None:
                return None
            resize = np.float64([[b.shape[0] / a.shape[0], 0, 0], [0, b.shape[1] / a.shape[1], 0]])
            aligned = aligned_thumbs(a, b, resize)
            mismatch = colour_mismatch(a, b, resize, aligned=aligned)
            if mismatch is None:
                return None
            if mismatch <= self.max_mismatch:
                clash = hue_clash(a, b, resize, aligned=aligned)
                if clash is None or clash <= self.max_hue_clash:
                    return None  # the colours agree one way: the embedding decides
        return 0

    def accepts_many(self, scores: np.ndarray, sims: np.ndarray) -> np.ndarray:
        """``accepts`` over arrays (the scan's regroup: no Python loop over pairs)."""
        scores, sims = np.asarray(scores), np.asarray(sims)
        return np.where(scores < 0, sims >= self.featureless_threshold,
                        scores >= self.min_inliers)

    def accepts(self, score: int, similarity: float) -> bool:
        """Enough geometric inliers; a featureless pair falls back on the embedding."""
        if score < 0:
            return similarity >= self.featureless_threshold
        return score >= self.min_inliers

    def verify(self, pairs: Sequence[tuple]) -> list[int | None]:
        """``score`` of each (path, path) or (path, path, similarity), in threads."""
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(lambda p: self.score(*p), pairs))

    def verify_similar(self, pairs: Sequence[tuple[Path, Path]], sims: Sequence[float]
                       ) -> list[int | None]:
        """``verify`` knowing each pair's embedding similarity (see ``score``)."""
        return self.verify([(*pair, float(s)) for pair, s in zip(pairs, sims)])

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
            self._kept.clear()
            self._kept_bytes = 0
            self._fresh.clear()
