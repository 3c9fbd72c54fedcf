"""Streamlit glue for taking a model away: a format, an Export button, the check's figures and the bundle's zip.

The work is core.export's: Keras exports the model, the file runs beside Keras on 200 test inputs, and only a file
that agrees is offered. Bundles are cached per model file (path and modification time) and format, for every
session: a rerun, or a second visitor, downloads the same zip without exporting again.
"""

from pathlib import Path

import streamlit as st

from core import export
from core.learn.export_check import FORMATS, MAX_DIFFERENCE, MIN_AGREEMENT

EXPORTED_KEY = "export_exported"  # (model path, format) pairs exported in this session: shown again on reruns


# A refusal is cached too (as its message), so that a model that cannot be exported is not tried on every rerun.
@st.cache_data(max_entries=8, show_spinner=False)
def _bundle(model_path: str, mtime_ns: int, format_name: str, name: str) -> export.ZippedBundle | str:
    try:
        return export.zipped_bundle(Path(model_path), format_name, name)
    except ValueError as error:  # ExportError, ExportRefused, and a model or card that cannot be read
        return str(error)


def export_controls(model_path: Path, name: str, key: str) -> None:
    """Export a model to LiteRT or ONNX, checked against Keras first, and offer the bundle as a zip to download."""
    st.markdown("**Export** for phones, browsers and other programs (LiteRT or ONNX, with a model card and an example)")
    format_name = st.radio(
        "Format",
        list(FORMATS),
        format_func=lambda name: f"{FORMATS[name].title} ({FORMATS[name].suffix})",
        horizontal=True,
        key=f"{key}_format",
    )
    fmt, exported = FORMATS[format_name], st.session_state.setdefault(EXPORTED_KEY, set())
    wanted = (str(model_path), format_name)
    if wanted not in exported:
        slot = st.empty()  # the button goes once clicked: the bundle then stays for the rest of the session
        if not slot.button(f"Export to {fmt.title}", key=f"{key}_go_{format_name}"):
            return
        slot.empty()
        exported.add(wanted)
    with st.status(f"Exporting to {fmt.title} and checking it beside Keras…") as status:
        result = _bundle(str(model_path), model_path.stat().st_mtime_ns, format_name, name)
        done = isinstance(result, export.ZippedBundle)
        label = f"Exported to {fmt.title} and checked" if done else f"No {fmt.title} export"
        status.update(label=label, state="complete" if done else "error")
    if not done:
        st.error(result)
        return
    show_figures(result)
    st.download_button(
        f"Download the {fmt.title} bundle (.zip)",
        result.data,
        result.file_name,
        mime="application/zip",
        on_click="ignore",  # a download needs no rerun
        key=f"{key}_download_{format_name}",
    )


def show_figures(bundle: export.ZippedBundle) -> None:
    """The check's figures beside the file's size, and where the check's inputs came from."""
    figures = bundle.figures
    same, difference, size = st.columns(3)
    same.metric("Same class as Keras", f"{figures.agreement:.1%}", help=f"At least {MIN_AGREEMENT:.1%} is needed.")
    largest = f"{figures.max_difference:.1e}"
    difference.metric("Largest probability difference", largest, help=f"At most {MAX_DIFFERENCE:.0e} is needed.")
    size.metric("Model file", f"{bundle.model_bytes / 1e6:.2f} MB")
    st.caption(f"Checked on {figures.source}, after an export of {bundle.export_s:.1f} s.")
