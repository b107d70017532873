"""Streamlit main script inside the package (what `options-helper ui` runs)."""

from options_helper.portal.app import main

main()
