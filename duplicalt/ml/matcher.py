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

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from duplicalt.ml.feature_store import KEPT_MB, MIN_SIDE, FeatureStore
from duplicalt.ml.local_features import (Features, aligned_thumbs, colour_mismatch,
                                         hue_clash, mirrored_thumb, plausible, spread)
from duplicalt.pairing.verification import NOT_JUDGED

cv2.setNumThreads(1)


MIN_SPREAD = 0.1  # inliers must span this fraction of the photo's width or height
MAX_HUE_CLASH = 0.4  # aligned coloured pixels of another hue a copy may have (on 'tune' labels:
# copies <= 0.13, a red and a blue motorbike of one model >= 0.47)
MAX_MISMATCH = 0.08  # aligned overlap no single colour map explains (chosen on the 'tune'
# look-alike labels and 1,000 CALIBRATION-split copies: 99.8 % of the copies the geometry
# accepts stay accepted; 'different' accepted 42 -> 11 of 52, 'same' 43 -> 34 of 43)
__all__ = ["Features", "MIN_SIDE", "NOT_JUDGED", "OrbMatcher", "plausible", "spread"]


class OrbMatcher(FeatureStore):
    """``verify(pairs)`` -> inlier count per pair, or None when either photo has
    too little texture to judge (a plain sky, a blank page)."""

    def __init__(self, side: int = 320, features: int = 500, ratio: float = 0.8,
                 min_keypoints: int = 25, workers: int = 2, min_inliers: int = 20,
                 featureless_threshold: float = 0.95, kept_mb: float = KEPT_MB) -> None:
        super().__init__(side, features, kept_mb)
        self.ratio = ratio
        self.min_keypoints = min_keypoints
        self.min_inliers = min_inliers
        self.featureless_threshold = featureless_threshold
        self.workers = workers
        self.max_hue_clash = MAX_HUE_CLASH
        self.max_mismatch = MAX_MISMATCH
        self.name = (f"orb-affine-v7-{side}-{features}-{ratio}-h{self.max_hue_clash}"
                     f"-c{self.max_mismatch}")

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
        textured = a is not None and len(a.points) >= self.min_keypoints
        for mirrored in (False, True) if textured else ():  # b's mirror only when needed
            b = self.features(pb, mirrored)
            if b is None or len(b.points) < self.min_keypoints:
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
        straight = self.features(pb)
        if a is None or straight is None:
            return None
        for mirrored in (False, True):  # the colours only: no mirrored ORB needed
            b = Features(straight.points[:0], None, straight.shape,
                         mirrored_thumb(straight)) if mirrored else straight
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
