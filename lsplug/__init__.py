"""lsplug: a data-labeling server speaking the Label Studio 0.8/0.9 backend API."""

__version__ = "0.1.0"
LABEL_STUDIO_BACKEND_API = "0.9.1"
