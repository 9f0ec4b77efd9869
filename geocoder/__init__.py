"""The geocoder stage: complaints.classified -> complaints.located.

``gazetteer`` holds the admin areas and places (the on-disk pack format and the built-in six kota), ``importer`` and
``places_import`` build a pack from the wilayah_boundaries files, a GTFS feed and place CSVs, ``spatial`` does
point-in-polygon with shapely, ``matcher`` reads admin names in text and ``places`` (spaCy) the pack's places,
``fallback`` asks a geocoding service through geopy, ``locate`` combines GPS, text and the service, ``processor``
wraps it as a pipeline stage, ``service`` wires it from the settings, ``evaluate`` scores it on hand labels and
``cli`` holds ``jemput gazetteer build``, ``jemput geocode`` and ``jemput geocoder eval``. Nothing happens on import.
"""
