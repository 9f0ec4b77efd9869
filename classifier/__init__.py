"""The classifier stage: complaints.raw -> complaints.classified.

``normalise`` turns informal Indonesian into plain tokens; ``model`` is the trained spaCy pipeline
(:class:`~classifier.model.TextClassifier`: normalising tokenizer + TextCatBOW, calibrated) shipped in
``classifier/data``; ``keywords`` is the hand-written keyword baseline, whose verdict the model also reads as a
feature; ``corpus`` writes the project's own training corpus; ``evaluate`` scores predictions; ``corrections``
exports operators' re-categorisations; ``processor`` wraps the model as a pipeline stage and
``service.build_processor`` wires it from the settings; ``cli`` holds ``jemput classify`` and
``jemput classifier ...``. Nothing happens on import. See classifier/README.md.
"""
