"""Connected components of large integer graphs, in numpy (label propagation with pointer jumping)."""

from __future__ import annotations

import numpy as np


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (the smallest node id in it) for each of ``n`` nodes."""
    label = np.arange(n, dtype=np.int64)
    left = left.astype(np.int64)
    right = right.astype(np.int64)
    while True:
        low = np.minimum(label[left], label[right])
        before = label.copy()
        np.minimum.at(label, left, low)
        np.minimum.at(label, right, low)
        while True:  # pointer jumping: every node points at its label's label
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label
