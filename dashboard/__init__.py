"""The Streamlit dashboard's pages and shared pieces; `app.py` is the router."""
