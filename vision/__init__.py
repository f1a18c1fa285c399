"""Screen and camera analysis (OCR, QR codes, faces, redaction). A library like audio/:
never imports assistant/ or gui/. Empty until the vision issue lands."""
