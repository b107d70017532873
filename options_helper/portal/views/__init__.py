"""Portal views: one ``render()`` each (a folder named `pages` next to the Streamlit script
would be taken for Streamlit's legacy multipage folder)."""
