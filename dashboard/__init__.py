"""Streamlit UI of AI Use-Case Lab. Reaches models only through the ``usecases`` package."""
