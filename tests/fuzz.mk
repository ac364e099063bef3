# Fuzz targets over heap images and the runner input parser.
# (filled in by its owner)
