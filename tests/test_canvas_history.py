"""The Draw page's undo history: strokes become steps, echoes and reruns do not, a remounted canvas is reloaded."""

import numpy as np

from core.ui.canvas_history import CanvasHistory


def sent(strokes: int) -> tuple[dict, np.ndarray]:
    """What the canvas sends after this many strokes: its objects and (stand-in) pixels."""
    return {"objects": [{"type": "path", "stroke": i} for i in range(strokes)]}, np.full((4, 4, 4), strokes, np.uint8)


def test_the_same_value_on_a_rerun_is_no_new_stroke():
    history = CanvasHistory()
    history.receive(*sent(1))
    history.receive(*sent(1))
    history.undo()
    assert not history.can_undo
    assert history.current.image_rgba is None


def test_a_remounted_canvas_is_sent_the_current_drawing_again():
    history = CanvasHistory()
    for strokes in (1, 2, 3):
        history.receive(*sent(strokes))
    history.undo()  # the canvas is told to show 2 strokes
    history.receive(*sent(2))  # its echo
    history.receive(*sent(3))  # a new stroke: the canvas shows 3, but was last told to show 2
    shown = history.initial_drawing()
    assert len(shown["objects"]) == 2

    # The user leaves the page and comes back: the new canvas sends no pixels and shows what it was told.
    assert history.receive({**shown, "background": "#000000"}, None)
    assert len(history.initial_drawing()["objects"]) == 3
    assert history.initial_drawing()["handlab_generation"] > shown["handlab_generation"]
    assert history.current.image_rgba[0, 0, 0] == 3


def test_a_new_stroke_after_undo_drops_the_redo():
    history = CanvasHistory()
    history.receive(*sent(1))
    history.receive(*sent(2))
    history.undo()
    assert history.can_redo
    drawing, _ = sent(2)
    other_stroke = [*drawing["objects"][:1], {"type": "path", "stroke": "new"}]
    history.receive({"objects": other_stroke}, np.zeros((4, 4, 4), np.uint8))
    assert not history.can_redo
    assert history.current.objects[-1]["stroke"] == "new"
