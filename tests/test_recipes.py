"""Recipes: every one builds a model with the right input and output."""

import keras
import numpy as np
import pytest

from core.data import datasets
from core.learn import recipes


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_recipe_builds_with_right_shapes(name):
    recipe = recipes.get_recipe(name)
    input_shape, classes = {"tabular": ((8,), 1), "landmarks": ((63,), 24)}.get(recipe.kind, ((28, 28, 1), 24))
    model = recipe.build(input_shape, classes)
    assert model.input_shape == (None, *input_shape)
    expected = 1 if recipe.loss == "binary" else classes
    assert model.output_shape == (None, expected)
    out = model(np.zeros((2, *input_shape), np.float32), training=False)
    assert out.shape == (2, expected)


@pytest.mark.parametrize("name", ["letters-cnn", "digits-cnn"])
def test_cnn_recipes_take_larger_inputs(name):
    model = recipes.get_recipe(name).build((64, 64, 1), 24)
    assert model.output_shape == (None, 24)


def test_every_recipe_says_what_it_is_and_where_it_comes_from():
    for recipe in recipes.RECIPES.values():
        assert recipe.description
        assert recipe.provenance
        assert recipe.loss in recipes.LOSSES
        assert recipe.kind in ("image", "tabular", "landmarks")


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_a_recipe_names_only_registered_datasets_of_its_own_kind(name):
    # Found by following docs/extending.md: a misspelt dataset only showed when a run started.
    recipe = recipes.get_recipe(name)
    for dataset in recipe.datasets:
        assert dataset in datasets.DATASETS, f"{name} names {dataset!r}, which is not in the dataset registry"
        assert datasets.get_info(dataset).kind == recipe.kind


def test_unknown_recipe_lists_the_valid_names():
    with pytest.raises(ValueError, match="Choose one of: mnist-dense-512"):
        recipes.get_recipe("resnet-9000")


def test_augmentation_changes_training_images_only():
    aug = keras.Sequential(recipes.Augmentation(flip=True).build_layers(seed=1))
    x = np.zeros((1, 28, 28, 1), np.float32)
    x[0, 5:12, 5:20] = 1.0
    assert np.array_equal(np.asarray(aug(x, training=False)), x)
    assert not np.array_equal(np.asarray(aug(x, training=True)), x)


def test_tutorial_recipes_keep_their_published_settings():
    dense = recipes.get_recipe("mnist-dense-512")
    assert (dense.optimizer, dense.epochs, dense.batch_size, dense.loss) == ("rmsprop", 5, 128, "categorical")
    augmented = recipes.get_recipe("asl-cnn-augmented")
    assert augmented.augment
    assert augmented.augmentation == recipes.Augmentation(10, 0.1, 0.1, True, fill_mode="nearest")
    assert recipes.get_recipe("mnist-dense-64-32").validation_split == 0.3
    assert recipes.get_recipe("pima-dense").patience == 10


@pytest.mark.parametrize("name", ["digits-cnn", "digits-fast"])
def test_a_short_run_predicts_as_well_in_inference_mode_as_in_training(name):
    # Two classes: a bright bar in the left or the right half. 60 steps, as in a quick trial on the Train page.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 640)
    x = rng.uniform(0, 0.2, (640, 28, 28, 1)).astype(np.float32)
    for image, label in zip(x, y, strict=True):
        image[8:20, 4 + 16 * label : 8 + 16 * label] = 1.0
    keras.utils.set_random_seed(0)
    model = recipes.get_recipe(name).build((28, 28, 1), 2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y) > 0.95


def test_augmentation_layers_draw_independent_random_numbers():
    layers = recipes.Augmentation(flip=True, contrast=0.2, brightness=0.2).build_layers(seed=7)
    assert len({layer.seed for layer in layers}) == len(layers) == 6
