"""Browser tests of the pages (a package, so that its conftest has its own module name)."""
