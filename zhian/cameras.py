"""Live camera workers: one thread per camera with `detectors: [throwing]`.

Each worker reads its stream (RTSP, HTTP or a file, through OpenCV's FFmpeg backend), runs
the throwing detector, and submits every detection to the live processor as a
`throwing.detected` event of that camera, which the `object_thrown` rule turns into a
critical alert. Evidence (a clip from ~2 s before the release and a trajectory image with
the floor marked) is written under `evidence_dir/<camera>/` and named in the event. A
stream that ends or fails is reopened with capped backoff (a file is read once unless
`read_once=False`). `CameraWorker.health()` gives the stream's health as data, from any
thread, for metrics and the console.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
FPS_WINDOW_S = 5.0  # `fps` in health() counts the frames read over this many seconds


class StreamHealth:
    """A camera stream's health, updated by its worker and read from any thread."""

    def __init__(self, camera: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.camera = camera
        self._clock = clock
        self._lock = threading.Lock()
        self.state = "starting"
        self.frames = 0
        self.detections = 0
        self.opens = 0
        self.restarts = 0
        self.last_error: str | None = None
        self._last_frame_at: float | None = None
        self._reading_since: float | None = None  # first open; a reconnect's gap counts as a stall
        self._recent: deque[float] = deque()  # clock() of the frames read in the last FPS_WINDOW_S

    def frame(self) -> None:
        """One frame was read."""
        now = self._clock()
        with self._lock:
            self.frames += 1
            self._last_frame_at = now
            self._recent.append(now)
            self._trim(now)

    def opened(self) -> None:
        """The stream was (re)opened and is being read."""
        with self._lock:
            self.opens += 1
            self.state = "reading"
            if self._reading_since is None:
                self._reading_since = self._clock()

    def lost(self, reason: str) -> None:
        """The stream failed or ended and will be reopened."""
        with self._lock:
            self.restarts += 1
            self.last_error = reason
            self.state = "reconnecting"

    def detected(self) -> None:
        """The detector raised one alarm."""
        with self._lock:
            self.detections += 1

    def stopped(self, reason: str | None = None) -> None:
        """The worker ended; `reason` when it ended on an error."""
        with self._lock:
            self.state = "stopped"
            if reason is not None:
                self.last_error = reason

    def snapshot(self) -> dict[str, Any]:
        """state, fps over the last seconds, counters, age of the last frame and the last error."""
        now = self._clock()
        with self._lock:
            self._trim(now)
            # Frames of the last FPS_WINDOW_S (or since the stream opened, if later): a stall
            # lowers the rate as it lasts rather than keeping the last good figure.
            since = now - FPS_WINDOW_S if self._reading_since is None else max(self._reading_since, now - FPS_WINDOW_S)
            span = now - since
            fps = len(self._recent) / span if span >= 0.2 else 0.0
            age = None if self._last_frame_at is None else round(now - self._last_frame_at, 3)
            return {
                "camera": self.camera,
                "state": self.state,
                "fps": round(fps, 2),
                "frames": self.frames,
                "restarts": self.restarts,
                "last_frame_age_s": age,
                "detections": self.detections,
                "last_error": self.last_error,
            }

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0] < now - FPS_WINDOW_S:
            self._recent.popleft()


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


def detection_event(
    camera: str, detection: ThrowingDetection, released_ms: int, evidence: list[str] | None = None
) -> Event:
    """The `throwing.detected` event of one detection, stamped at the estimated release."""
    data = {
        "floor": detection.floor,
        "column": detection.column,
        "confidence": round(detection.confidence, 3),
        "frame": detection.frame,
        "start_frame": detection.start_frame,
        "kind": detection.kind,
    }
    if evidence:
        data["evidence"] = evidence
    return Event(f"throw-{released_ms}-{detection.track_id}", released_ms, camera, "throwing.detected", None, data)


class CameraWorker(threading.Thread):
    """Reads one camera until `stop` is set; submits detections."""

    def __init__(
        self,
        device: Device,
        uri: str,
        submit: Callable[[Event], None],
        stop: threading.Event,
        evidence_dir: Path | None = None,
        *,
        read_once: bool | None = None,
        retry_s: tuple[float, float] = (RETRY_MIN_S, RETRY_MAX_S),
    ) -> None:
        super().__init__(name=f"camera-{device.id}", daemon=True)
        if device.facade is None:
            raise ValueError(f"camera {device.id} has no facade calibration")
        self.device = device
        self.uri = uri
        self.submit = submit
        self.stop = stop
        self.is_file = not uri.startswith(STREAM_SCHEMES)
        # A file given as a camera's stream is a recording: read it once, unless asked to
        # treat its end like a stream's (reopen it), which the demo and the tests use.
        self.read_once = self.is_file if read_once is None else read_once
        self.retry_min_s, self.retry_max_s = retry_s
        self.evidence_dir = evidence_dir
        self._health = StreamHealth(device.id)
        self._recorder: EvidenceRecorder | None = None

    def health(self) -> dict[str, Any]:
        """The stream's health now (thread-safe): state, fps, frames, restarts, last_frame_age_s, …

        `state` is "starting", "reading", "reconnecting" or "stopped"; `fps` the frames read
        per second over the last few seconds; `last_frame_age_s` None before the first frame.
        """
        return self._health.snapshot()

    def run(self) -> None:
        """Open, read, detect; reopen with backoff on failure."""
        try:
            self._run()
        except Exception as exc:
            log.exception("camera %s: worker failed", self.device.id)
            self._health.stopped(f"worker failed: {exc}")
            raise
        self._health.stopped()

    def _run(self) -> None:
        backoff = self.retry_min_s
        while not self.stop.is_set():
            if self.is_file and not Path(self.uri).is_file():
                reason = f"video file {self.uri} does not exist"
                log.warning("camera %s: %s; the throwing detector does not run", self.device.id, reason)
                self._health.stopped(reason)
                return
            try:
                source = FrameSource(self.uri)
            except SourceError as exc:
                self._failed(str(exc), backoff)
                backoff = min(backoff * 2, self.retry_max_s)
                continue
            backoff = self.retry_min_s
            self._health.opened()
            log.info("camera %s: reading %s at %.1f fps", self.device.id, self.uri, source.fps)
            with source:
                self._read(source)
            if self.stop.is_set():
                return
            if self.read_once:
                log.info("camera %s: end of file %s after %d frames", self.device.id, self.uri, self._health.frames)
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
            self._health.frame()
            detections = detector.process(index, frame)
            recorder = self._evidence(detector, fps)
            if recorder is not None:
                recorder.add_frame(index, frame)
            for detection in detections:
                if recorder is not None:
                    recorder.start(detection)
                self._emit(detection, index, fps)
            if recorder is not None and recorder.pending():
                recorder.finish_ended(index, {d.track_id: detector.trajectory(d.track_id) for d in recorder.pending()})
            if time.monotonic() - last_report >= HEALTH_EVERY_S:
                last_report = time.monotonic()
                h = self.health()
                log.info(
                    "camera %s: %d frames, %.1f fps, %d detections, %d restart(s)",
                    self.device.id,
                    h["frames"],
                    h["fps"],
                    h["detections"],
                    h["restarts"],
                )
        for detection in detector.flush():
            self._emit(detection, max(index, 0), fps)
        if self._recorder is not None:
            self._recorder.finish_ended(
                max(index, 0),
                {d.track_id: detector.trajectory(d.track_id) for d in self._recorder.pending()},
                force=True,
            )
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
        self._health.detected()
        log.warning(
            "camera %s: object thrown from floor %d, column %d (confidence %.2f)",
            self.device.id,
            detection.floor,
            detection.column,
            detection.confidence,
        )
        evidence = evidence_names(detection) if self._recorder is not None else None
        self.submit(detection_event(self.device.id, detection, released_ms, evidence))

    def _failed(self, reason: str, wait_s: float) -> None:
        self._health.lost(reason)
        log.warning("camera %s: %s; retrying in %.1f s", self.device.id, reason, wait_s)
        self.stop.wait(wait_s)


def start_cameras(
    registry: Registry,
    devices_file: Path,
    submit: Callable[[Event], None],
    stop: threading.Event,
    evidence_dir: Path | None = None,
) -> list[CameraWorker]:
    """Start a worker for every camera with the throwing detector."""
    workers = []
    for device in registry.devices:
        if "throwing" in device.detectors and device.facade is not None and device.stream:
            worker = CameraWorker(device, stream_uri(device, devices_file.parent), submit, stop, evidence_dir)
            worker.start()
            workers.append(worker)
    return workers
