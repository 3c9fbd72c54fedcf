"""What travels with an exported model: its card (labels, input contract, confidence settings, the check) and README.

The card is what a person needs to use the file without Handlab: what to feed it, what comes out, and how the app
turns that into the confidence it shows (the temperature, and below what it says "not sure").
"""

import json
import time

from core.data import datasets
from core.learn.export_check import MAX_DIFFERENCE, MIN_AGREEMENT, CheckFigures, Format, Runtime
from core.vision import hand_model_files
from core.vision.reading import NOT_A_DIGIT_CARD_KEY, SURE_FROM
from core.vision.signs import PHOTO_THRESHOLD
from core.vision.spelling import SpellingSettings

MODEL_STEM = "model"  # model.tflite or model.onnx
CARD_NAME = "model_card.json"
README_NAME = "README.md"
EXAMPLE_NAME = "example_input.npy"  # one of the check's inputs, for the README's example
LANDMARKS_CONTRACT = (
    "63 float32 numbers: the 21 hand landmarks (x, y, z) that MediaPipe's hand landmark model gives, in the "
    "picture's pixels (z on the scale of x), normalised: the wrist (landmark 0) moved to the origin, every number "
    "divided by the palm size (the distance in x and y from the wrist to the middle finger's base, landmark 9), "
    "and a left hand mirrored (x becomes -x). The hand is not turned upright."
)
IMAGE_CONTRACTS = {
    "digits": "white ink on black, placed as MNIST's digits are: cropped to the ink, the longer side scaled to "
    "20/28 of the side, the ink's centre of mass at the centre",
    "fashion": "one item filling the picture, light on black (a photo on white is negated), as Fashion-MNIST's",
    "letters": "the square around the hand, cut from the picture and shrunk with OpenCV's INTER_AREA "
    "(Handlab's core.vision.hands.letter_from_frame)",
}


def input_contract(dataset: str | None, input_shape: tuple[int, ...]) -> str:
    """What a model trained on `dataset` reads, in words a person outside Handlab can follow."""
    info = datasets.DATASETS.get(dataset or "")
    if info is not None and info.kind == "landmarks":
        return LANDMARKS_CONTRACT
    if len(input_shape) == 3 and input_shape[2] == 1:
        side = f"{input_shape[0]}×{input_shape[1]}"
        how = IMAGE_CONTRACTS.get(info.task if info else "", f"as the {dataset} dataset's images")
        return f"{side} grey in [0, 1] (float32, shape (N, {input_shape[0]}, {input_shape[1]}, 1)): {how}."
    return f"float32 numbers of shape (N, {', '.join(map(str, input_shape))}), as the {dataset} dataset gives them."


def confidence(task: str | None, card: dict, temperature: float) -> dict:
    """How the app turns the model's outputs into the confidence it shows, and below what it says "not sure"."""
    facts = {
        "temperature": temperature,
        "how": "probabilities = softmax(log(outputs) / temperature), one input at a time: the model's outputs "
        "rescaled so that a 90% means right 9 times in 10; the order of the classes is kept.",
        "test_time_mirror": bool(card.get("test_time_mirror")),
    }
    if facts["test_time_mirror"]:
        facts["mirror"] = "Average the outputs of the image and its left-right mirror before the temperature."
    if task == "digits":
        facts["not_sure_below"] = SURE_FROM
        facts["not_sure"] = "The Draw page shows a digit whose top probability is below this as ? (not sure)."
        if card.get(NOT_A_DIGIT_CARD_KEY) is not None:
            facts["not_a_digit_below"] = float(card[NOT_A_DIGIT_CARD_KEY])
            facts["not_a_digit"] = (
                "The Draw page says a drawing does not look like a digit when its two likeliest digits' "
                "probabilities (after the temperature) add up to less than this."
            )
    elif task == "letters":
        facts["not_sure_below"] = PHOTO_THRESHOLD
        facts["not_sure"] = "The Sign page says not sure about a photo's letter whose top probability is below this."
        facts["live_hold_not_sure_below"] = SpellingSettings().threshold
        facts["live_hold"] = (
            "In live video a letter held still is read from all its frames (their log-probabilities averaged); "
            "a hold whose letter has less than this writes nothing."
        )
    else:
        facts["not_sure_below"] = None
        facts["not_sure"] = "No Handlab page reads this task with a not-sure answer: choose your own threshold."
    return facts


def hand_models() -> dict:
    """The hand models that find the landmarks: names, licence, where to get them, their sha256."""
    return {
        "names": [hand_model_files.PALM_MODEL, hand_model_files.LANDMARK_MODEL],
        "licence": "Apache-2.0",
        "by": "Google (MediaPipe)",
        "where": f"inside the {hand_model_files.WHEEL_REQUIREMENT} wheel on PyPI (`pip download --no-deps "
        f"{hand_model_files.WHEEL_REQUIREMENT}`, then unzip), or Handlab's `{hand_model_files.FETCH_COMMAND}`",
        "files": {
            name: {"path_in_wheel": path, "sha256": sha} for name, (path, sha) in hand_model_files.MODEL_FILES.items()
        },
    }


def bundle_card(
    name: str,
    fmt: Format,
    runtime: Runtime,
    keras_card: dict,
    temperature: float,
    input_shape: tuple[int, ...],
    figures: CheckFigures,
) -> dict:
    """The exported model's card: what goes in and out, the confidence settings, the check, and its training.

    `temperature` is the Keras card's, as the check used it; `input_shape` is the model's input without the batch
    axis; a model of one output (a sigmoid) names two labels.
    """
    dataset = keras_card.get("dataset")
    task = datasets.task_of(dataset)
    labels = list(keras_card["labels"])
    binary = len(labels) == 2 and figures.outputs == 1
    card = {
        "name": name,
        "format": fmt.title,
        "file": MODEL_STEM + fmt.suffix,
        "runtime": {"package": fmt.runtime, "version": fmt.runtime_version},
        "labels": labels,
        "input": {
            "name": runtime.input_name,
            "shape": [None, *input_shape],
            "dtype": "float32",
            "contract": input_contract(dataset, input_shape),
            "example": EXAMPLE_NAME,
        },
        "output": {
            "name": runtime.output_name,
            "meaning": f"the probability of {labels[-1]} (the other label's is 1 minus it)"
            if binary
            else "class probabilities in the order of labels, before the temperature",
        },
        "confidence": confidence(task, keras_card, temperature),
        "check": {
            "inputs": figures.inputs,
            "source": figures.source,
            "max_probability_difference": figures.max_difference,
            "argmax_agreement": figures.agreement,
            "limits": {"max_probability_difference": MAX_DIFFERENCE, "argmax_agreement": MIN_AGREEMENT},
        },
        "exported": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "training": keras_card,
    }
    if datasets.DATASETS.get(dataset or "") and datasets.get_info(dataset).kind == "landmarks":
        card["hand_models"] = hand_models()
    return card


def readme_text(card: dict, model_bytes: int) -> str:
    """The bundle's README: what is in it, a 15-line example, the input, the confidence and the check."""
    fmt, check = card["format"], card["check"]
    lines = [
        f"# {card['name']} ({fmt})",
        "",
        f"A Handlab model that names {len(card['labels'])} classes ({', '.join(card['labels'][:10])}"
        f"{', …' if len(card['labels']) > 10 else ''}), exported from Keras.",
        "",
        f"- `{card['file']}`: the model ({model_bytes / 1e6:.2f} MB)",
        f"- `{CARD_NAME}`: labels, the input, the confidence settings, the check's figures, how it was trained",
        f"- `{EXAMPLE_NAME}`: one input, ready for the model",
        "",
        "## Read one input",
        "",
        f"`pip install {card['runtime']['package']}=={card['runtime']['version']} numpy`, then, in this folder:",
        "",
        "```python",
        *example_code(card),
        "```",
        "",
        "## Input",
        "",
        card["input"]["contract"],
        "",
        "## Confidence",
        "",
        f"The app divides the log of the model's outputs by the temperature ({card['confidence']['temperature']}) "
        "and takes the softmax again (the example does); below `not_sure_below` it says not sure. "
        f"`{CARD_NAME}` has both under `confidence`.",
        "",
        "## Checked against Keras",
        "",
        f"Before this bundle was made, `{card['file']}` ran in {card['runtime']['package']} "
        f"{card['runtime']['version']} beside the Keras model on {check['source']}: the same most likely class "
        f"for {check['argmax_agreement']:.1%} (at least {MIN_AGREEMENT:.1%} needed), largest probability "
        f"difference {check['max_probability_difference']:.1e} (at most {MAX_DIFFERENCE:.0e}).",
    ]
    if "hand_models" in card:
        lines += ["", *landmarks_section(card["hand_models"])]
    return "\n".join(lines) + "\n"


def example_code(card: dict) -> list[str]:
    """Fifteen lines or fewer of Python that read the example input and print the label, as the app would."""
    if card["format"] == "LiteRT":
        opening = [
            "from ai_edge_litert.interpreter import Interpreter",
            "",
            'run = Interpreter(model_path="model.tflite").get_signature_runner()',
        ]
        call = 'outputs = run(**{card["input"]["name"]: x})[card["output"]["name"]]'
    else:
        opening = ["import onnxruntime", "", 'session = onnxruntime.InferenceSession("model.onnx")']
        call = 'outputs = session.run(None, {card["input"]["name"]: x})[0]'
    lines = [
        "import json",
        "",
        "import numpy as np",
        *opening,
        f'card = json.load(open("{CARD_NAME}"))',
        f'x = np.load("{EXAMPLE_NAME}")  # {card["input"]["contract"].split(":")[0]}, batch of 1',
        call,
    ]
    if card["output"]["meaning"].startswith("the probability of"):
        lines.append("outputs = np.concatenate([1 - outputs, outputs], axis=1)  # two classes")
    lines += [
        'logits = np.log(np.clip(outputs[0], 1e-12, 1)) / card["confidence"]["temperature"]',
        "p = np.exp(logits - logits.max())",
        "p /= p.sum()",
        'best, not_sure_below = int(p.argmax()), card["confidence"]["not_sure_below"] or 0',
        'print(card["labels"][best] if p[best] >= not_sure_below else "not sure", f"{p[best]:.1%}")',
    ]
    return lines


def landmarks_section(facts: dict) -> list[str]:
    """How to get the 63 numbers from a picture: the hand models, then the normalisation, in code."""
    return [
        "## Getting the landmarks",
        "",
        f"Handlab finds the hand with MediaPipe's palm detector and hand landmark model ({', '.join(facts['names'])}, "
        f"{facts['licence']}), from {facts['where']}; `{CARD_NAME}` has their sha256. Run them with LiteRT (the palm "
        "detector finds the hand, the landmark model reads a 224×224 crop around it), map the 21 landmarks back "
        "to the picture's pixels, then normalise them. (MediaPipe's own HandLandmarker gives x and y as fractions "
        "of the picture: multiply x and z by its width and y by its height first.)",
        "",
        "```python",
        "def landmarks_input(landmarks_px, handedness):  # (21, 3) pixels; 'left' or 'right'",
        "    points = landmarks_px - landmarks_px[0]  # the wrist at the origin",
        "    points = points / np.linalg.norm(points[9, :2])  # palm size: wrist to middle-finger base",
        "    if handedness == 'left':",
        "        points[:, 0] = -points[:, 0]  # both hands sign alike",
        "    return points.reshape(1, 63).astype(np.float32)",
        "```",
        "",
        "MediaPipe's handedness score assumes a mirrored (selfie) picture: in an unmirrored photo or webcam frame "
        'its "Left" score is the signer\'s right hand.',
    ]


def card_json(card: dict) -> str:
    """The card as the bundle stores it."""
    return json.dumps(card, indent=2, ensure_ascii=False) + "\n"
