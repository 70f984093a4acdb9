"""Coverage-guided fuzzing (atheris, libFuzzer) of the code that reads untrusted bytes and text."""
