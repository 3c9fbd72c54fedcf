"""The only Streamlit code in core: cached resources, widgets and displays the pages share."""
