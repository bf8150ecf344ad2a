"""Reusable builders: figures, KPI cards, the map, the frame (header, breadcrumb, chips, panels)."""
