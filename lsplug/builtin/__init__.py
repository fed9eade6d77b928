"""The core's own features, written as plugins and registered like any third party's."""
