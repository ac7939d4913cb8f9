"""Stage ②: frames and event streams in; detections out."""
