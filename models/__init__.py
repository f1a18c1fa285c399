"""Model catalog, locating package-installed weights, verification and the ONNX
session factory. A library: never imports `assistant/` or `gui/`."""
