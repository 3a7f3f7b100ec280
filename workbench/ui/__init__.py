"""Shared pieces of the Streamlit app: the open project, the coder, navigation, the document component."""
