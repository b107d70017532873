"""The documented entry: `streamlit run apps/streamlit/streamlit_app.py` from the repo root.

Delegates to the packaged portal; the repo root's .streamlit/config.toml and ./static link to
the package's theme and font.
"""

from options_helper.portal.app import main

main()
