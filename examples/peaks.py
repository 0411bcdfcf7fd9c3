"""Peak finding for examples/peaks.xdml: the scientist's own NumPy code, called by XDML as a
Python task (docs/python.md). Each function takes and returns plain Python and NumPy values."""
import numpy as np


def find_peaks(frame, threshold, max_peaks):
    """The brightest local maxima above `threshold` (in units of the frame's noise), strongest
    first: a list of {row, col, height} dicts, as the flow's `list<Peak>` declares them."""
    level = np.median(frame)
    noise = 1.4826 * np.median(np.abs(frame - level)) or 1.0  # robust sigma (MAD)
    z = (frame - level) / noise
    # A pixel is a peak when it is above threshold and no 8-neighbour is higher.
    inner = z[1:-1, 1:-1]
    higher = np.ones_like(inner, dtype=bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                higher &= inner >= z[1 + dr:z.shape[0] - 1 + dr, 1 + dc:z.shape[1] - 1 + dc]
    rows, cols = np.nonzero(higher & (inner > threshold))
    order = np.argsort(-inner[rows, cols])[:max_peaks]
    return [{"row": int(rows[i]) + 1, "col": int(cols[i]) + 1, "height": float(inner[rows[i], cols[i]])}
            for i in order]


def centroid(frame):
    """The frame's intensity-weighted centre as a float32 array [row, col]."""
    weights = frame - frame.min()  # the background level weighs nothing
    total = float(weights.sum()) or 1.0
    r = np.arange(frame.shape[0], dtype=np.float64) @ weights.sum(axis=1) / total
    c = np.arange(frame.shape[1], dtype=np.float64) @ weights.sum(axis=0) / total
    return np.array([r, c], dtype=np.float32)
