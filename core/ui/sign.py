"""Streamlit glue for the Sign page: snapshot and upload inputs, the results, saving signs, the letter guide.

The work happens in core.vision.signs (reading a frame, the overlay) and core.vision.spelling; this module only
lays them out. Live video is in core.ui.sign_live, which shows its results with the same pieces (crops, spelled
text); the session's state (the spelled text, live results) is in core.ui.sign_session.
"""

import cv2
import numpy as np
import streamlit as st

from core import images
from core.data import samples
from core.labels import ALPHABET, MOTION_LETTERS, SIGN_LETTERS
from core.ui import charts
from core.ui.common import decoded_image, enlarged, percent
from core.ui.letter_guide import LETTER_GUIDE, PICTURE_PX, motion_picture
from core.ui.sign_session import KEEP_WITHIN_S, KeptFrame, SpelledText
from core.vision import hand_model_files, signs
from core.vision.motion_letters import MotionSettings, fitted_settings
from core.vision.signs import PHOTO_THRESHOLD, SignReading
from core.vision.spelling import SpellingSettings

PREVIEW_PX = 160  # Side the model-input previews are drawn at (shown as wide as their column).
# The crop is sent at most this big: a half column is ~300 px wide, and live video sends it four times a second.
CROP_PREVIEW_PX = 320
PICTURE_KEPT_PX = 320  # The kept frame's width.


def spelling_settings(key: str) -> SpellingSettings:
    """Sidebar sliders for what counts as a held letter (the defaults: benchmarks/fingerspelling.py's best)."""
    sidebar, default = st.sidebar, SpellingSettings()
    sidebar.subheader("Spelling")
    min_hold_s = sidebar.slider(
        "Min hold (s)", 0.1, 1.0, default.min_hold_s, 0.05, key=f"{key}_min_hold",
        help="A letter held still this long is written. Shorter suits fast spelling; longer ignores passing shapes.",
    )  # fmt: skip
    sensitivity = sidebar.slider(
        "Motion sensitivity", 0.5, 5.0, default.sensitivity, 0.25, key=f"{key}_sensitivity",
        help="How fast the hand may move (palm lengths a second) and still hold a letter. Lower: a smaller move "
        "(the bounce of a double letter) separates two letters; higher: a shaky hand still holds one.",
    )  # fmt: skip
    threshold = sidebar.slider(
        "Confidence needed", 0.1, 0.95, default.threshold, 0.05, key=f"{key}_threshold",
        help="A held letter read with less (its frames together) is “not sure” and not written.",
    )  # fmt: skip
    return SpellingSettings(min_hold_s=min_hold_s, sensitivity=sensitivity, threshold=threshold)


def two_hands_note(reading: SignReading) -> None:
    """Say which hand is read when two are in view."""
    if reading.two_hands:
        side = reading.hand.handedness  # as seen in the unmirrored frame: the signer's own side
        st.caption(f"✋✋ Two hands in view: reading the larger one, your {side} hand. Lower the other to be sure.")


def hand_models_missing() -> bool:
    """Say how to fetch the hand models when their files are missing or damaged; True when they are."""
    try:
        hand_model_files.require()
    except hand_model_files.HandModelsMissing as missing:
        st.error(str(missing), icon="✋")
        return True
    return False


def spelled_text_state(key: str) -> SpelledText:
    """The session's spelled text, shared by every input of the page."""
    return st.session_state.setdefault(key, SpelledText())


def snapshot(key: str) -> np.ndarray | None:
    """A photo from st.camera_input, decoded to BGR; None before the first photo."""
    photo = st.camera_input("Hold up a letter and take a photo", key=key)
    return None if photo is None else decoded_image(photo)


def photo_with_box(frame_bgr: np.ndarray, reading: SignReading) -> None:
    """The photo as read: the hand's box, its skeleton and the letter drawn on it (under the input, on the left)."""
    picture_bgr = signs.annotate(frame_bgr, reading, None, None, mirror=False)
    st.image(picture_bgr, channels="BGR", caption="Your photo", width="stretch")  # small photos fill the column too


def photo_results(frame_bgr: np.ndarray, reading: SignReading, text: SpelledText, key: str) -> None:
    """The letter read from one photo: metric, crops, top-3 chart, "add to text" and the spelled text."""
    prediction, threshold = reading.prediction, PHOTO_THRESHOLD
    if prediction is None:
        st.metric("Letter", "no hand", "no hand in view", delta_color="off", delta_arrow="off")
        st.warning(
            "No hand in view: Handlab's hand detector found no hand in this picture. Hold one hand up, palm to the "
            "camera, close enough to fill about a quarter of the picture, in good light.",
            icon="✋",
        )
    else:
        sure = prediction.confidence >= threshold
        st.metric(
            "Letter",
            prediction.label if sure else "not sure",
            f"{percent(prediction.confidence)} confident",
            delta_color="green" if sure else "orange",
            delta_arrow="off",
            help=f"Below {threshold:.0%} confidence Handlab says it is not sure.",
        )
        if not sure:
            st.warning(
                f"Not sure: the best guess is {prediction.label}. Try a closer photo in better light.", icon="🤔"
            )
        two_hands_note(reading)
    crops(frame_bgr, reading)
    if prediction is not None:
        st.altair_chart(charts.top_bars(prediction), width="stretch")
        if prediction.confidence >= threshold and st.button(f"Add {prediction.label} to the text", key=f"{key}_add"):
            text.edit("add", prediction.label)
    spelled_text(text, key)


def crops(frame_bgr: np.ndarray, reading: SignReading, inline: bool = False) -> None:
    """The hand crop in colour beside what the model reads: its normalised landmarks, or the crop at its input size.

    `inline` sends the pictures inside the page as `data:` URLs rather than as files under /media (live video, see
    core.ui.sign_live).
    """
    left, right = st.columns(2)
    crop = _fitted(signs.crop_bgr(frame_bgr, reading.crop_xywh), CROP_PREVIEW_PX)
    left.image(_picture(crop, inline), channels="BGR", caption="The crop", width="stretch")
    if reading.model_reads_landmarks:
        if reading.features is None:  # drawn, not left out: the last hand's skeleton must not stay on show
            picture = _picture(signs.no_hand_picture(PREVIEW_PX), inline, ".png")
            right.image(picture, channels="BGR", caption="What the model sees: no hand", width="stretch")
        else:
            picture = _picture(signs.landmarks_picture(reading.features, PREVIEW_PX), inline, ".png")
            right.image(picture, channels="BGR", caption="What the model sees (21 landmarks)", width="stretch")
        if reading.readings > 1:
            st.caption(
                f"The letter is the average of {reading.readings} readings of your hand: the landmarks above, and"
                f" {reading.readings - 1} more from the hand's square turned and widened."
            )
        return
    side = reading.image.shape[0]
    picture = _picture(enlarged(reading.image, max(1, PREVIEW_PX // side)), inline, ".png")
    right.image(picture, caption=f"What the model sees ({side}×{side})", width="stretch")


def _fitted(image: np.ndarray, side_px: int) -> np.ndarray:
    """The image scaled down to fit a side_px square (a hand close to the camera fills most of the frame)."""
    scale = side_px / max(image.shape[:2])
    if scale >= 1:
        return image
    size_wh = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA)


def _picture(image: np.ndarray, inline: bool, extension: str = ".jpg") -> np.ndarray | str:
    """The image for st.image: as it is (Streamlit serves it under /media), or inline as a data: URL."""
    return images.data_url(image, extension) if inline else image


def spelled_text(text: SpelledText, key: str) -> None:
    """The text spelled so far, the last word's other reading, and space, backspace and clear."""
    st.markdown("**Spelled text**")
    st.code(text.text or " ", language=None)  # a code block shows the user's text as text, spaces included
    last = text.last_word
    if last is not None and last.other:
        raw = last.chosen == last.raw
        note = (
            "as you spelled it, not a word Handlab knows" if raw else f"the likeliest word for the letters {last.raw}"
        )
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.caption(f"Last word: {last.chosen}, {note}.")
        right.button(f"Use {last.other}", key=f"{key}_other", on_click=text.take_other, width="stretch")
    cells = st.columns(3)
    cells[0].button("Space", key=f"{key}_space", on_click=text.edit, args=("add", " "), width="stretch")
    cells[1].button("⌫", key=f"{key}_backspace", on_click=text.edit, args=("backspace",), width="stretch")
    cells[2].button("Clear", key=f"{key}_clear", on_click=text.edit, args=("clear",), width="stretch")


def kept_frame(kept: KeptFrame, key: str, mirror: bool) -> None:
    """The kept frame, frozen where the user can see it, with its reading and a button to let it go."""
    st.markdown("**Kept frame**")
    picture_bgr = signs.annotate(kept.frame_bgr, kept.reading, None, None, mirror=mirror)
    st.image(picture_bgr, channels="BGR", width=PICTURE_KEPT_PX)
    prediction = kept.reading.prediction
    drawn = " (drawn in the seconds before)" if kept.suggestion in MOTION_LETTERS else ""
    st.caption(
        f"Read as {kept.suggestion}{drawn} · the frame's own reading: {prediction.label} "
        f"{percent(prediction.confidence)}. Saving below saves this frame, not the live video."
    )
    if st.button("Let it go", key=f"{key}_discard", icon=":material/close:"):
        st.session_state.pop(key, None)
        st.rerun()


def save_form(kept: KeptFrame, key: str, expanded: bool = False) -> None:
    """“Save this as…”: label the kept frame with the right letter and keep it in My signs, for the Train page; a J
    or Z saves the hand's motion over the seconds before the frame was kept, which the motion reader fits itself to."""
    letters = ALPHABET if kept.motion_px is not None else SIGN_LETTERS
    if st.session_state.get(f"{key}_for") != kept.identity:  # a newly kept frame: its letter starts from its reading
        st.session_state[f"{key}_for"] = kept.identity
        st.session_state.pop(f"{key}_letter", None)
    with st.expander("Save this as…", expanded=expanded), st.form(key, border=False):
        st.caption(
            "Save this hand to *My signs*: the Train page can fine-tune the letters model on your own signs "
            "(dataset *My signs + ASL hand landmarks*), your hand and your room. "
            + (
                f"For J or Z, keep a frame once Handlab writes it (or within {KEEP_WITHIN_S:.0f} s of drawing it, if "
                "it did not): the motion is saved, and live video fits how small a J or Z may be to yours."
                if kept.motion_px is not None
                else "J and Z are drawn in the air: save them from 🎥 Live."
            )
        )
        index = letters.index(kept.suggestion) if kept.suggestion in letters else 0
        letter = st.selectbox("The letter you signed", letters, index=index, key=f"{key}_letter", width=240)
        if not st.form_submit_button("Save to my signs", key=f"{key}_save"):
            return
        hand = kept.reading.hand
        try:
            samples.save_sign(
                kept.frame_bgr, kept.reading.box_xywh, letter, hand.landmarks_px, hand.handedness, kept.motion_px
            )
        except ValueError as error:
            st.error(str(error))
            return
        total = len(samples.list_samples(samples.MY_SIGNS))
        st.success(f"Saved as {letter}. My signs now has {total}.")


def motion_settings() -> MotionSettings:
    """When live video counts a J or Z: the defaults, fitted to the J and Z clips the user saved (a damaged clip is
    named in a warning and the defaults stay)."""
    clips = [sample.motion_path for sample in samples.motion_clip_samples()]
    signature = tuple((path.name, path.stat().st_mtime_ns) for path in clips)
    try:
        settings, count = _fitted_motion(signature)
    except ValueError as error:
        st.sidebar.warning(str(error))
        return MotionSettings()
    if count:
        st.sidebar.caption(
            f"J and Z: fitted to your {count} saved clip{'s' if count > 1 else ''}: a fingertip path of "
            f"{settings.min_path:.2g} palm lengths counts (default {MotionSettings().min_path:.2g})."
        )
    return settings


@st.cache_data(show_spinner=False, max_entries=4)
def _fitted_motion(signature: tuple) -> tuple[MotionSettings, int]:
    """The fitted settings and how many clips they come from; `signature` (the clips' names and times) keys it."""
    clips = samples.load_motion_clips()
    return fitted_settings(clips), len(clips)


def letter_guide(card: dict | None = None) -> None:
    """The 26 letters with a short description of each handshape (J and Z drawn moving); whom the model learnt the
    24 still ones from."""
    with st.expander("Letter guide: the 26 letters Handlab reads"):
        st.caption(
            "J and Z are drawn in the air, so only live video (and `--video`) reads them: make an I and draw a J "
            "with your little finger, or point your index finger and draw a Z. A photo cannot show them."
        )
        if card and card.get("data"):
            st.caption(
                f"This letters model learnt them from {card['data']}. To fit it to your own hands, save a few of "
                "your signs with **Save this as…**, then train *My signs + ASL hand landmarks* from this model on "
                "the **Train** page."
            )
        columns = st.columns(2)
        half = (len(LETTER_GUIDE) + 1) // 2
        for index, (letter, description) in enumerate(LETTER_GUIDE.items()):
            columns[index // half].markdown(f"**{letter}**: {description}")
        pictures = st.columns(4)
        for column, letter in zip(pictures, MOTION_LETTERS, strict=False):
            column.image(motion_picture(letter), caption=f"{letter}, as you see yourself", width=PICTURE_PX)
