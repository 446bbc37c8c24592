"""The Textual front end: the only part of annotator that imports Textual."""
