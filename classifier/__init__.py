"""The classifier stage: complaints.raw -> complaints.classified.

``normalise`` turns informal Indonesian into plain tokens, ``keywords`` holds the keyword baseline
(:class:`~classifier.keywords.KeywordClassifier`), ``processor`` wraps it as a pipeline stage and
``service.build_processor`` wires it from the settings. Nothing happens on import.
"""
