"""The few generic callbacks, written once for every page: URL → view → panels, clicks → URL,
header, refresh, export."""
