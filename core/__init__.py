"""Cross-cutting concerns written once: settings, view state, panels, i18n, security."""
