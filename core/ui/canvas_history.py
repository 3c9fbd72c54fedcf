"""Undo, redo and clear for the Draw page's canvas: the drawings the canvas sent, one step per stroke.

The canvas (streamlit-drawable-canvas) sends its Fabric.js objects and its pixels after every stroke. The page
keeps each drawing it received as a step, so Undo and Redo can show an earlier drawing and read its pixels at
once, without waiting for the browser. The canvas is then told to show that drawing (`initial_drawing`); it
loads it and sends it back, and that echo is recognised as no new stroke.
"""

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

MAX_STEPS = 50  # steps kept for Undo; a 320×320 RGBA drawing is 400 kB, so at most 20 MB a session.


@dataclass(frozen=True)
class CanvasStep:
    """One drawing on the canvas: its Fabric.js objects (the strokes) and its RGBA pixels (None when blank)."""

    objects: tuple[dict, ...] = ()
    image_rgba: np.ndarray | None = field(default=None, compare=False)


def fingerprint(json_data: dict | None) -> str:
    """A short digest of what the canvas sent, to tell a new drawing from the same one seen on a rerun."""
    text = json.dumps(json_data, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class CanvasHistory:
    """The drawings a canvas went through, with a redo stack; plain Python, kept in the page's session state."""

    def __init__(self) -> None:
        self._steps: list[CanvasStep] = [CanvasStep()]
        self._redo: list[CanvasStep] = []
        self._seen: str | None = None
        # What the canvas was last told to show. It changes only on Undo, Redo, Clear or a remount: the canvas
        # reloads whenever it changes, and a reload during a stroke would lose that stroke.
        self._shown: tuple[dict, ...] = ()
        # Bumped with every change of _shown, so the canvas always sees a new initial drawing, even when the
        # drawing equals one it loaded before.
        self.generation = 0

    @property
    def current(self) -> CanvasStep:
        """The drawing the page shows and reads."""
        return self._steps[-1]

    @property
    def can_undo(self) -> bool:
        """Whether there is an earlier drawing to go back to."""
        return len(self._steps) > 1

    @property
    def can_redo(self) -> bool:
        """Whether an undone drawing can be brought back."""
        return bool(self._redo)

    @property
    def can_clear(self) -> bool:
        """Whether there is ink to clear."""
        return bool(self.current.objects)

    def receive(self, json_data: dict | None, image_rgba: np.ndarray | None) -> bool:
        """Take what the canvas holds this run: a new stroke (or strokes) becomes a new step.

        The same value seen again on a rerun is ignored. A drawing with as many objects as the current one is
        the canvas echoing what the page loaded into it: it only refreshes the current step's pixels. A canvas
        that sends no pixels was mounted afresh (the user left the page and came back): it shows what it was
        last told to show, which may be older than the current step.

        Returns:
            True when the canvas must be told again what to show (rerun the page with `initial_drawing()`).
        """
        seen = fingerprint(json_data)
        if seen == self._seen:
            return False
        self._seen = seen
        if image_rgba is None:
            if self._shown == self.current.objects:
                return False
            self._show(self.current.objects)
            return True
        objects = tuple((json_data or {}).get("objects") or ())
        if len(objects) == len(self.current.objects):
            self._steps[-1] = CanvasStep(self.current.objects, image_rgba)
            return False
        self._steps = [*self._steps, CanvasStep(objects, image_rgba)][-MAX_STEPS:]
        self._redo = []
        return False

    def undo(self) -> None:
        """Go back to the drawing before the last stroke (or before Clear)."""
        if self.can_undo:
            self._redo.append(self._steps.pop())
            self._show(self.current.objects)

    def redo(self) -> None:
        """Bring back the drawing the last Undo took away."""
        if self.can_redo:
            self._steps.append(self._redo.pop())
            self._show(self.current.objects)

    def clear(self) -> None:
        """Empty the canvas, as a step of its own that Undo can take back."""
        if self.can_clear:
            self._steps = [*self._steps, CanvasStep()][-MAX_STEPS:]
            self._redo = []
            self._show(())

    def _show(self, objects: tuple[dict, ...]) -> None:
        self._shown = objects
        self.generation += 1

    def initial_drawing(self) -> dict:
        """The Fabric.js drawing the canvas is to show: the step of the last Undo, Redo or Clear."""
        # Fabric sets unknown keys on the canvas and ignores them; this one makes every change a new drawing.
        return {"objects": [dict(item) for item in self._shown], "handlab_generation": self.generation}
