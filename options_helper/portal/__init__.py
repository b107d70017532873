"""Read-only Streamlit portal (DESIGN.md "Portal")."""
