"""The geocoder stage: complaints.classified -> complaints.located.

``gazetteer`` holds the admin areas (the on-disk pack format and the built-in six kota), ``importer`` builds a
pack from the wilayah_boundaries files, ``matcher`` reads area names in text, ``geometry`` does point-in-polygon,
``locate`` combines GPS and text, ``processor`` wraps it as a pipeline stage and ``service.build_processor``
wires it from the settings. Nothing happens on import.
"""
