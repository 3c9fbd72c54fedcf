"""Handlab core: data, preprocessing, models, training and prediction, shared by the pages and the CLIs."""
