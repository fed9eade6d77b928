"""Pieces the built-in exporters share: zips written while sent, RLE masks, PNG and NPY."""
