"""The project service: the rules between the views and the store."""
