"""Screens of the annotation app: name, article list, annotation, guidelines, note."""
