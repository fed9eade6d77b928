"""Turn uploaded or local files into tasks: file formats, then checks and wrapping."""
