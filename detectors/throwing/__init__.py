"""High-rise throwing detection (高空抛物): objects that leave a window and fall, traced to floor and column.

The pipeline, one module per concern:

- `source`      frames from a file or an RTSP/HTTP stream (OpenCV's FFmpeg backend)
- `stabilise`   camera shake as a whole-frame translation (phase correlation)
- `foreground`  blobs that differ from a shake-compensated, gain-normalised background
- `tracker`     blobs linked into tracks, with coasting and re-linking
- `physics`     the fall test and the release estimate, on tracks in facade metres
- `linking`     fragments of one fall (lost at a window, found mid-fall) joined by the fall model
- `geometry`    the facade homography, the camera pose behind it, window back-trace
- `detector`    `ThrowingDetector`: frames in, `ThrowingDetection`s out (no I/O)
- `evidence`    drawing: calibration overlay, trajectory image, clip
- `evaluate`    scoring against ground truth; `synth/` renders scenes with truth
"""

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.geometry import FacadeGeometry

__all__ = ["FacadeGeometry", "ThrowingDetection", "ThrowingDetector"]
