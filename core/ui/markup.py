"""Text typed by users (run names, labels), made safe to show in Streamlit's Markdown elements."""

import re

# Characters that start Markdown (and Streamlit's :color[…] and $math$) inside a line of text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!~|$:&#])")


def plain(text: object) -> str:
    """`text` on one line with Markdown's special characters escaped, so it shows as typed, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
