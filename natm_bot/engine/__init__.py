"""The command engine: registry, arguments, dispatch, permission levels, rendering."""
