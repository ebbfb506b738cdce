"""Speed and quality benchmark of the whole pipeline on the RealTime QA corpus (``python -m bench``)."""
