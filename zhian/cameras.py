"""Live camera workers: one thread per camera with `detectors: [throwing]`.

Each worker reads its stream (RTSP, HTTP or a file, through OpenCV's FFmpeg backend), runs
the throwing detector, and submits every detection to the live processor as a
`throwing.detected` event of that camera, which the `object_thrown` rule turns into a
critical alert. Evidence (a clip from ~2 s before the release and a trajectory image with
the floor marked) is written under `evidence_dir/<camera>/` and named in the event. A
stream that ends or fails is reopened with capped backoff (a file is read once). Stream
health is logged and kept in `CameraHealth`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.evidence import EvidenceRecorder
from detectors.throwing.source import STREAM_SCHEMES, FrameSource, SourceError
from ingest.event import Event
from ingest.registry import Device, Registry

log = logging.getLogger(__name__)

RETRY_MIN_S = 1.0
RETRY_MAX_S = 30.0
HEALTH_EVERY_S = 60.0


@dataclass
class CameraHealth:
    """What a camera worker has seen; read by status logging."""

    camera: str
    frames: int = 0
    detections: int = 0
    opens: int = 0
    failures: int = 0
    last_frame_at: float = 0.0  # time.time() of the last frame read
    last_error: str = ""


def stream_uri(device: Device, base_dir: Path) -> str:
    """The device's stream; a relative file path is taken from devices.yaml's folder."""
    uri = device.stream or ""
    if uri.startswith(STREAM_SCHEMES) or Path(uri).is_absolute():
        return uri
    return str(base_dir / uri)


def evidence_names(detection: ThrowingDetection) -> list[str]:
    """Files EvidenceRecorder writes for a detection: the clip, then the trajectory image."""
    stem = f"{detection.camera or 'camera'}-f{detection.frame:06d}-t{detection.track_id}"
    return [f"{detection.camera}/{stem}.mp4", f"{detection.camera}/{stem}.png"]


def detection_event(camera: str, detection: ThrowingDetection, released_ms: int,
                    evidence: list[str] | None = None) -> Event:
    """The `throwing.detected` event of one detection, stamped at the estimated release."""
    data = {"floor": detection.floor, "column": detection.column, "confidence": round(detection.confidence, 3),
            "frame": detection.frame, "start_frame": detection.start_frame, "kind": detection.kind}
    if evidence:
        data["evidence"] = evidence
    return Event(f"throw-{released_ms}-{detection.track_id}", released_ms, camera, "throwing.detected", None, data)


class CameraWorker(threading.Thread):
    """Reads one camera until `stop` is set; submits detections."""

    def __init__(self, device: Device, uri: str, submit: Callable[[Event], None], stop: threading.Event,
                 evidence_dir: Path | None = None) -> None:
        super().__init__(name=f"camera-{device.id}", daemon=True)
        if device.facade is None:
            raise ValueError(f"camera {device.id} has no facade calibration")
        self.device = device
        self.uri = uri
        self.submit = submit
        self.stop = stop
        self.health = CameraHealth(device.id)
        self.is_file = not uri.startswith(STREAM_SCHEMES)
        self.evidence_dir = evidence_dir
        self._recorder: EvidenceRecorder | None = None

    def run(self) -> None:
        """Open, read, detect; reopen with backoff on failure."""
        backoff = RETRY_MIN_S
        while not self.stop.is_set():
            if self.is_file and not Path(self.uri).is_file():
                log.warning("camera %s: video file %s does not exist; the throwing detector does not run",
                            self.device.id, self.uri)
                return
            try:
                source = FrameSource(self.uri)
            except SourceError as exc:
                self._failed(str(exc), backoff)
                backoff = min(backoff * 2, RETRY_MAX_S)
                continue
            backoff = RETRY_MIN_S
            self.health.opens += 1
            log.info("camera %s: reading %s at %.1f fps", self.device.id, self.uri, source.fps)
            with source:
                self._read(source)
            if self.is_file:
                log.info("camera %s: end of file %s after %d frames", self.device.id, self.uri, self.health.frames)
                return
            self._failed("stream ended", backoff)

    def _read(self, source: FrameSource) -> None:
        assert self.device.facade is not None
        detector = ThrowingDetector(self.device.facade, source.fps, camera=self.device.id)
        fps = detector.fps
        last_report = time.monotonic()
        # a file is played as if live, so its detections get plausible event times
        started = time.time()
        index = -1
        for index, frame in source:
            if self.stop.is_set():
                return
            if self.is_file:
                lag = started + index / fps - time.time()
                if lag > 0:
                    time.sleep(lag)
            self.health.frames += 1
            self.health.last_frame_at = time.time()
            detections = detector.process(index, frame)
            recorder = self._evidence(detector, fps)
            if recorder is not None:
                recorder.add_frame(index, frame)
            for detection in detections:
                if recorder is not None:
                    recorder.start(detection)
                self._emit(detection, index, fps)
            if recorder is not None and recorder.pending():
                recorder.finish_ended(index, {d.track_id: detector.trajectory(d.track_id)
                                              for d in recorder.pending()})
            if time.monotonic() - last_report >= HEALTH_EVERY_S:
                last_report = time.monotonic()
                log.info("camera %s: %d frames, %d detections, %d reopen(s)", self.device.id,
                         self.health.frames, self.health.detections, self.health.opens - 1)
        for detection in detector.flush():
            self._emit(detection, max(index, 0), fps)
        if self._recorder is not None:
            self._recorder.finish_ended(max(index, 0), {d.track_id: detector.trajectory(d.track_id)
                                                        for d in self._recorder.pending()}, force=True)
            self._recorder = None

    def _evidence(self, detector: ThrowingDetector, fps: float) -> EvidenceRecorder | None:
        """The evidence recorder, once the detector knows the frame's geometry."""
        if self.evidence_dir is None or detector.geometry is None:
            return None
        if self._recorder is None:
            out = self.evidence_dir / self.device.id
            out.mkdir(parents=True, exist_ok=True)
            self._recorder = EvidenceRecorder(out, detector.geometry, fps)
        return self._recorder

    def _emit(self, detection: ThrowingDetection, now_index: int, fps: float) -> None:
        released_ms = int(time.time() * 1000) - int((now_index - detection.start_frame) / fps * 1000)
        self.health.detections += 1
        log.warning("camera %s: object thrown from floor %d, column %d (confidence %.2f)", self.device.id,
                    detection.floor, detection.column, detection.confidence)
        evidence = evidence_names(detection) if self._recorder is not None else None
        self.submit(detection_event(self.device.id, detection, released_ms, evidence))

    def _failed(self, reason: str, wait_s: float) -> None:
        self.health.failures += 1
        self.health.last_error = reason
        log.warning("camera %s: %s; retrying in %.0f s", self.device.id, reason, wait_s)
        self.stop.wait(wait_s)


def start_cameras(registry: Registry, devices_file: Path, submit: Callable[[Event], None],
                  stop: threading.Event, evidence_dir: Path | None = None) -> list[CameraWorker]:
    """Start a worker for every camera with the throwing detector."""
    workers = []
    for device in registry.devices:
        if "throwing" in device.detectors and device.facade is not None and device.stream:
            worker = CameraWorker(device, stream_uri(device, devices_file.parent), submit, stop, evidence_dir)
            worker.start()
            workers.append(worker)
    return workers
