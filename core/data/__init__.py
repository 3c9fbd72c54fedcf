"""Datasets: the registry and loaders, the CSV and photo readers, the user's saved samples."""
