"""The branch dashboard: figures a branch asks for, as tables, SVG charts and CSV files."""
