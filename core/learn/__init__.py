"""Models and runs: recipes, specs, fitting, the run store, background jobs, analysis and the model catalog."""
