"""access: see ARCHITECTURE.md (planned; not built yet)."""
