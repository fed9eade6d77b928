"""The HTTP side: the app factory, the error middleware and the views, one module a resource."""
