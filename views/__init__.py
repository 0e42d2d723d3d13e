"""Page modules of the Streamlit app (``app.py`` routes to them)."""
