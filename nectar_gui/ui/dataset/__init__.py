"""The Dataset tab: layout detection, thumbnails, problems, and what the model sees."""
