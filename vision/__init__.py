"""Screen capture, camera, OCR with incremental tiles, QR codes, faces and redaction of
secrets in what is seen. A library like audio/: never imports assistant/, gui/ or Qt."""
